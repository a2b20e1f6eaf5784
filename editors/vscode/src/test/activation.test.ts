// Activates the compiled extension against a fake `vscode` module and a stand-in server, and
// checks what really crosses the wire: the server command, initializationOptions, the inline
// completion capability and request, settings changes, the status notification, shutdown.
// real-server.test.ts covers the same behaviours against the real server.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as fake from './fake-vscode';

fake.install();

type Message = { id?: number | string; method?: string; params?: Record<string, unknown>; result?: unknown };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-lsp-activation-'));
const record = path.join(dir, 'messages.jsonl');

function received(): Message[] {
  if (!fs.existsSync(record)) {
    return [];
  }
  return fs.readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; log:\n${fake.logLines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the activated extension', () => {
  // Loaded after the fake is installed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require('../extension') as typeof import('../extension');
  const subscriptions: Array<{ dispose(): unknown }> = [];

  before(() => {
    fake.settings.set('server.path', process.execPath);
    fake.settings.set('server.args', [path.join(__dirname, 'fake-server.js'), record]);
    fake.settings.set('trace.server', 'off');
    fake.settings.set('model', 'tiny');
    fake.settings.set('completion.automatic', true);
    fake.settings.set('completion.maxTokens', 32);
    extension.activate({ subscriptions } as unknown as import('vscode').ExtensionContext);
  });

  after(async () => {
    await extension.deactivate();
    for (const s of subscriptions) {
      s.dispose();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts the configured server and sends the settings without the client-only keys', async () => {
    const init = await until('initialize', () => received().find((m) => m.method === 'initialize'));
    assert.deepEqual(init.params?.initializationOptions, {
      model: 'tiny',
      completion: { automatic: true, maxTokens: 32 },
    });
    const capabilities = init.params?.capabilities as { textDocument: Record<string, unknown> };
    assert.ok(capabilities.textDocument.inlineCompletion, 'inline completion is a client capability');
    assert.ok(capabilities.textDocument.completion);
    assert.ok(capabilities.textDocument.codeAction);
    assert.ok(fake.logLines.some((l) => l.includes(`Starting the server: ${process.execPath}`)));
  });

  it('provides inline completions, for every file and unsaved document', async () => {
    const inline = await until('inline completion provider', () =>
      fake.registrations.find((r) => r.method === 'registerInlineCompletionItemProvider'),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(inline.selector)), [{ scheme: 'file' }, { scheme: 'untitled' }]);
    assert.ok(fake.registrations.some((r) => r.method === 'registerCompletionItemProvider'));
  });

  it('opens documents on the server and asks for inline completions with the LSP trigger kinds', async () => {
    const file = path.join(dir, 'area.py');
    fake.openDocument(file, 'python', 'def area(r):\n    \n');
    const open = await until('didOpen', () => received().find((m) => m.method === 'textDocument/didOpen'));
    assert.deepEqual(open.params, {
      textDocument: { uri: `file://${file}`, languageId: 'python', version: 1, text: 'def area(r):\n    \n' },
    });
    const inline = fake.registrations.find((r) => r.method === 'registerInlineCompletionItemProvider')!;
    const provider = inline.provider as {
      provideInlineCompletionItems(...args: unknown[]): Promise<unknown>;
    };
    const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };
    const kinds = fake.vscode.InlineCompletionTriggerKind as { Invoke: number; Automatic: number };
    for (const triggerKind of [kinds.Invoke, kinds.Automatic]) {
      await provider.provideInlineCompletionItems(
        fake.textDocuments[0], new fake.Position(1, 4), { triggerKind, selectedCompletionInfo: undefined }, token,
      );
    }
    // While the suggest widget shows an item, VS Code asks with it (its range a VS Code Range).
    const selectedCompletionInfo = { range: new fake.Range(1, 2, 1, 4), text: 'return' };
    await provider.provideInlineCompletionItems(
      fake.textDocuments[0], new fake.Position(1, 4), { triggerKind: kinds.Automatic, selectedCompletionInfo }, token,
    );
    const requests = received().filter((m) => m.method === 'textDocument/inlineCompletion');
    assert.deepEqual(requests.map((m) => m.params), [
      { context: { triggerKind: 1 }, textDocument: { uri: `file://${file}` }, position: { line: 1, character: 4 } },
      { context: { triggerKind: 2 }, textDocument: { uri: `file://${file}` }, position: { line: 1, character: 4 } },
      {
        context: {
          triggerKind: 2,
          selectedCompletionInfo: { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 4 } }, text: 'return' },
        },
        textDocument: { uri: `file://${file}` },
        position: { line: 1, character: 4 },
      },
    ], 'Invoked is 1 and Automatic 2 on the wire (VS Code numbers them 0 and 1), a range is {start, end}');
  });

  it('registers its commands', () => {
    for (const id of ['slmLsp.toggleAutomatic', 'slmLsp.pullModel', 'slmLsp.showLog', 'slmLsp.restartServer']) {
      assert.ok(fake.commands.has(id), id);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, [...fake.commands.keys()].sort());
  });

  it('shows the status the server sends', async () => {
    const item = fake.statusItems[0];
    await until('ready status', () => (item.text === '$(sparkle) fake-model' ? true : undefined));
    assert.equal(item.command, 'slmLsp.showLog');
    assert.equal(item.visible, true);
  });

  it('answers workspace/configuration without the client-only keys', async () => {
    const answer = await until('configuration answer', () => received().find((m) => m.id === 'config-1'));
    assert.deepEqual(answer.result, [{ model: 'tiny', completion: { automatic: true, maxTokens: 32 } }]);
  });

  it('sends {"slmLsp": ...} on didChangeConfiguration only when the settings changed', async () => {
    assert.equal(received().filter((m) => m.method === 'workspace/didChangeConfiguration').length, 0,
      'the settings the server got in initialize are not sent again');
    fake.settings.set('trace.server', 'off');
    fake.configurationChanged.fire({ affectsConfiguration: (s) => 'slmLsp.trace.server'.startsWith(s) });
    await fake.commands.get('slmLsp.toggleAutomatic')!();
    assert.equal(fake.settings.get('completion.automatic'), false);
    const change = await until('didChangeConfiguration', () =>
      received()
        .filter((m) => m.method === 'workspace/didChangeConfiguration')
        .find((m) => JSON.stringify(m.params).includes('"automatic":false')),
    );
    assert.deepEqual(change.params, {
      settings: { slmLsp: { model: 'tiny', completion: { automatic: false, maxTokens: 32 } } },
    });
    assert.equal(received().filter((m) => m.method === 'workspace/didChangeConfiguration').length, 1,
      'a change of slmLsp.trace.* alone sends nothing');
    assert.equal(fake.statusItems[0].text, '$(sparkle) fake-model (manual)');
  });

  it('restarts the server when asked', async () => {
    const before = received().filter((m) => m.method === 'initialize').length;
    await fake.commands.get('slmLsp.restartServer')!();
    const methods = received().map((m) => m.method);
    assert.ok(methods.includes('shutdown') && methods.includes('exit'), 'the old server was shut down');
    await until('second initialize', () =>
      received().filter((m) => m.method === 'initialize').length > before ? true : undefined,
    );
  });
});
