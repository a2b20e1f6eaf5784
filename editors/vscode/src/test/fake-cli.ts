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
    // The shape `slm-lsp models list --json` prints.
    process.stdout.write(
      JSON.stringify({
        models_dir: '/models',
        recommended: 'qwen2.5-coder-0.5b',
        models: [
          { id: 'deepseek-coder-1.3b-base', params: '1.3B', size: 0, present: false, recommended: false, description: 'DeepSeek-Coder 1.3B base' },
          { id: 'qwen2.5-coder-0.5b', params: '0.5B', size: 0, present: false, recommended: true, description: 'Qwen2.5-Coder 0.5B base' },
          { id: 'smollm2-135m', params: '135M', size: 98362432, present: true, embedded: true, recommended: false, description: 'SmolLM2 135M' },
        ],
      }) + '\n',
    );
    return 0;
  }
  if (verb !== 'pull') {
    return 2;
  }
  switch (arg) {
    case 'good':
      // As `slm-lsp models pull` writes to a pipe: one line per percent, then where the file is.
      for (const piece of ['pulling good: 1 MB of 10 MB 1', '0%\npulling good: 5 MB of 10 MB 50%\n', 'pulling good: 10 MB of 10 MB 100%\n']) {
        process.stderr.write(piece);
        await sleep(20);
      }
      process.stderr.write('good is at /models/good.gguf (10 MB)\n');
      process.stdout.write('/models/good.gguf\n');
      return 0;
    case 'slow':
      process.stderr.write('5%\n');
      await sleep(30_000);
      return 0;
    default:
      process.stderr.write('pulling it: 1 MB of 10 MB 12%\n');
      process.stderr.write(`slm-lsp: error: unknown model ${arg}\n`);
      return 3;
  }
}

main().then((code) => process.exit(code));
