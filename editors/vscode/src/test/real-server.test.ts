// Activates the compiled extension against the fake `vscode` module and the real slm-lsp server
// (`python -m slm_lsp` from this repository, with its embedded model): the status bar reaches
// ready from the server's own `slmLsp/status`, the inline completion provider answers in a Python
// document, a parameter renamed letter by letter gets its next edits (made with Tab, Tab), a
// settings change reaches the server and it keeps answering, and the restart command brings it
// back. Skipped only when the interpreter cannot import slm_lsp.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as fake from './fake-vscode';

fake.install();

const python = process.env.SLM_LSP_PYTHON || 'python3';
// The repository: SLM_LSP_REPO (when the extension is built from a copy), else the one this
// extension is in (out/test -> editors/vscode -> editors -> the repository).
const repoRoot = process.env.SLM_LSP_REPO || path.resolve(__dirname, '..', '..', '..', '..');
const pythonPath = [repoRoot, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);

function importProblem(): string | undefined {
  const probe = spawnSync(python, ['-c', 'import slm_lsp'], {
    env: { ...process.env, PYTHONPATH: pythonPath },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.error) {
    return `${python} did not run: ${probe.error.message}`;
  }
  if (probe.status !== 0) {
    return `${python} cannot import slm_lsp: ${probe.stderr.trim().split('\n').pop()}`;
  }
  return undefined;
}

const skip = importProblem();
if (skip) {
  console.log(`# skipping the real-server tests: ${skip}`);
}

const STARTUP_MS = 120_000;
const ANSWER_MS = 120_000;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; log:\n${fake.logLines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Provider = {
  provideInlineCompletionItems(
    document: unknown,
    position: fake.Position,
    context: { triggerKind: number; selectedCompletionInfo: undefined },
    token: unknown,
  ): Promise<fake.InlineCompletionList | fake.InlineCompletionItem[] | null | undefined>;
};

/** The inline completion provider the language client registered last (one per server start). */
function provider(): Provider {
  const registered = fake.registrations.filter((r) => r.method === 'registerInlineCompletionItemProvider');
  assert.ok(registered.length > 0, 'an inline completion provider is registered');
  return registered[registered.length - 1].provider as Provider;
}

function neverCancelled() {
  return { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };
}

/** Asks the provider as VS Code does on Trigger Inline Suggestion. */
async function invoke(document: fake.FakeDocument, line: number, character: number): Promise<fake.InlineCompletionItem[]> {
  const answer = await provider().provideInlineCompletionItems(
    document,
    new fake.Position(line, character),
    { triggerKind: (fake.vscode.InlineCompletionTriggerKind as { Invoke: number }).Invoke, selectedCompletionInfo: undefined },
    neverCancelled(),
  );
  if (!answer) {
    return [];
  }
  return Array.isArray(answer) ? answer : answer.items;
}

function textOf(item: fake.InlineCompletionItem): string {
  return typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
}

/** Asserts a non-empty item at (1,4) and returns the texts of the non-empty items. */
function assertCompletes(items: fake.InlineCompletionItem[]): string[] {
  const nonEmpty = items.filter((i) => textOf(i).trim());
  assert.ok(nonEmpty.length > 0, `a non-empty inline completion; got ${JSON.stringify(items)}\nlog:\n${fake.logLines.join('\n')}`);
  for (const item of nonEmpty) {
    assert.ok(item.range, 'the item has a range');
    assert.deepEqual({ line: item.range.start.line, character: item.range.start.character }, { line: 1, character: 4 });
  }
  return nonEmpty.map(textOf);
}

/** The status bar item shows the model as ready (and not busy, loading or an error). */
function isReady(): true | undefined {
  return String(fake.statusItems[0]?.text ?? '').startsWith('$(sparkle) ') ? true : undefined;
}

/** Server complaints in the log (problems with settings, failed requests or notifications). */
function complaints(from: number): string[] {
  return fake.logLines
    .slice(from)
    .filter((l) => /^(error|warn) |showErrorMessage|showWarningMessage|Traceback|invalid settings/i.test(l) || /\b(ERROR|WARNING)\b/.test(l));
}

describe('the activated extension with the real server', { skip }, () => {
  // Loaded after the fake is installed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require('../extension') as typeof import('../extension');
  const subscriptions: Array<{ dispose(): unknown }> = [];
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-lsp-real-server-'));
  const savedPythonPath = process.env.PYTHONPATH;
  let document: fake.FakeDocument;
  let firstAnswer: string[] = [];

  before(() => {
    // The server runs in the workspace folder; it finds the package through PYTHONPATH.
    process.env.PYTHONPATH = pythonPath;
    fake.setWorkspaceFolder(workspace);
    fake.settings.set('server.path', python);
    fake.settings.set('server.args', ['-m', 'slm_lsp']);
    fake.settings.set('trace.server', 'off');
    fake.settings.set('completion.automatic', true);
    fake.settings.set('completion.timeBudgetMs', 60000);
    fake.settings.set('completion.maxTokens', 24);
    // Every request runs the model, so a change of the token cap shows in the next answer.
    fake.settings.set('completion.cache', false);
    extension.activate({ subscriptions } as unknown as import('vscode').ExtensionContext);
  });

  after(async () => {
    await extension.deactivate();
    for (const s of subscriptions) {
      s.dispose();
    }
    if (savedPythonPath === undefined) {
      delete process.env.PYTHONPATH;
    } else {
      process.env.PYTHONPATH = savedPythonPath;
    }
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('shows the model as ready once the server has loaded it', async () => {
    await until('the ready status', isReady, STARTUP_MS);
    assert.ok(fake.logLines.some((l) => l.includes(`Starting the server: ${python} -m slm_lsp`)));
    assert.equal(fake.statusItems[0].command, 'slmLsp.showLog');
    assert.equal(fake.statusItems[0].backgroundColor, undefined, 'no error background');
  });

  it('completes inline in a Python document when asked', { timeout: ANSWER_MS }, async () => {
    const file = path.join(workspace, 'area.py');
    const text = 'def area(r):\n    \n';
    fs.writeFileSync(file, text);
    document = fake.openDocument(file, 'python', text);
    const items = await invoke(document, 1, 4);
    firstAnswer = assertCompletes(items);
    for (const item of items) {
      assert.deepEqual((item.command as { command?: string } | undefined)?.command, 'slmLsp.nextEdit.suggest',
        'an accepted item asks for the next edit');
    }
  });

  it('proposes the next edit after a parameter is renamed; Tab goes there, Tab makes it', { timeout: ANSWER_MS }, async () => {
    const file = path.join(workspace, 'scale.py');
    const text = 'def scale(count, factor):\n    doubled = count * 2\n    return doubled * factor + count\n';
    fs.writeFileSync(file, text);
    const editor = fake.openEditor(file, 'python', text);
    // Typed over the selected name, letter by letter, as VS Code sends it.
    editor.userEdit(new fake.Range(0, 10, 0, 15), 't');
    for (const [i, letter] of [...'otal'].entries()) {
      editor.userEdit(new fake.Range(0, 11 + i, 0, 11 + i), letter);
    }
    const shown = () => (fake.contextKeys.get('slmLsp.nextEditShown') === true ? true : undefined);
    await until('a next edit shown', shown, ANSWER_MS);
    const tab = fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!;
    await tab();
    assert.deepEqual(editor.selection.active, new fake.Position(1, 14), 'at the first use');
    assert.equal(editor.content, text.replace('(count', '(total'), 'nothing made by the first Tab');
    await tab();
    assert.equal(editor.content, text.replace('(count', '(total').replace('= count', '= total'));
    await until('the next one shown', shown, ANSWER_MS);
    await tab();
    await tab();
    assert.equal(editor.content, text.replace(/count/g, 'total'));
  });

  it('passes a settings change to the server, which keeps answering', { timeout: 2 * ANSWER_MS }, async () => {
    const from = fake.logLines.length;
    const change = (maxTokens: number) => {
      fake.settings.set('completion.maxTokens', maxTokens);
      fake.configurationChanged.fire({ affectsConfiguration: (s) => 'slmLsp.completion.maxTokens'.startsWith(s) });
    };
    // One token at most: the answer is cut short (or dropped as an incomplete line).
    change(1);
    const capped = (await invoke(document, 1, 4)).map(textOf).filter((t) => t.trim());
    assert.notDeepEqual(capped, firstAnswer, 'the server answers with the new token cap');
    for (const text of capped) {
      assert.ok(!/\s/.test(text.trim()), `one token, got ${JSON.stringify(text)}`);
    }
    change(16);
    assertCompletes(await invoke(document, 1, 4));
    await until('the ready status', isReady, ANSWER_MS);
    assert.deepEqual(complaints(from), []);
  });

  it('restarts the server on the command and is ready again', { timeout: STARTUP_MS + ANSWER_MS }, async () => {
    const starts = () => fake.logLines.filter((l) => l.includes('Starting the server:')).length;
    const before = starts();
    await fake.commands.get('slmLsp.restartServer')!();
    assert.equal(starts(), before + 1, 'a new server process was started');
    await until('the ready status after the restart', isReady, STARTUP_MS);
    // The new server got the open document again and answers in it.
    assertCompletes(await invoke(document, 1, 4));
  });
});
