// A stand-in for the `slm-lsp` command line in the tests of pull.ts:
// `node fake-cli.js models list --json` and `node fake-cli.js models pull ID`.
const [, , group, verb, arg] = process.argv;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<number> {
  if (group !== 'models') {
    process.stderr.write(`unknown command ${group}\n`);
    return 2;
  }
  if (verb === 'list') {
    if (process.env.FAKE_LIST === 'broken') {
      process.stderr.write('error: models.toml is unreadable\n');
      return 1;
    }
    process.stdout.write(
      JSON.stringify([
        { id: 'qwen2.5-coder-0.5b', params: '0.5B', description: 'Qwen2.5-Coder 0.5B base', installed: false },
        { id: 'smollm2-135m', params: '135M', size: 98362432, description: 'SmolLM2 135M', embedded: true },
      ]) + '\n',
    );
    return 0;
  }
  if (verb !== 'pull') {
    return 2;
  }
  switch (arg) {
    case 'good':
      process.stderr.write('Downloading good.gguf\n');
      // A progress bar that redraws with carriage returns, split across writes.
      for (const piece of ['  1', '0%\r  55%', '\r 100%\n']) {
        process.stderr.write(piece);
        await sleep(20);
      }
      process.stderr.write('Checking sha256\n');
      process.stdout.write('Pulled good to /models/good.gguf\n');
      return 0;
    case 'slow':
      process.stderr.write('5%\n');
      await sleep(30_000);
      return 0;
    default:
      process.stderr.write('12%\n');
      process.stderr.write(`error: unknown model ${arg}\n`);
      return 3;
  }
}

main().then((code) => process.exit(code));
