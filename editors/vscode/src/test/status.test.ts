import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { StatusBar, parseStatus, present } from '../status';

function fakeItem() {
  return {
    text: '',
    tooltip: undefined as string | vscode.MarkdownString | undefined,
    command: undefined as string | vscode.Command | undefined,
    backgroundColor: undefined as vscode.ThemeColor | undefined,
    shown: false,
    disposed: false,
    show() {
      this.shown = true;
    },
    dispose() {
      this.disposed = true;
    },
  };
}
const RED = { id: 'statusBarItem.errorBackground' } as vscode.ThemeColor;

describe('parseStatus', () => {
  it('accepts the server notification', () => {
    assert.deepEqual(parseStatus({ state: 'loading', message: 'Loading', percentage: 42.4, model: 'm' }), {
      state: 'loading',
      message: 'Loading',
      percentage: 42,
      model: 'm',
    });
    assert.deepEqual(parseStatus({ state: 'ready' }), { state: 'ready', message: '', percentage: null, model: '' });
  });
  it('rejects unknown states and non-objects', () => {
    assert.equal(parseStatus({ state: 'sleeping' }), undefined);
    assert.equal(parseStatus(null), undefined);
    assert.equal(parseStatus('ready'), undefined);
  });
});

describe('present', () => {
  const base = { message: '', percentage: null, model: 'qwen2.5-coder-0.5b' };
  it('shows loading with its percentage', () => {
    assert.equal(present({ ...base, state: 'loading', percentage: 30 }).text, '$(loading~spin) qwen2.5-coder-0.5b 30%');
    assert.equal(present({ ...base, state: 'loading' }).text, '$(loading~spin) qwen2.5-coder-0.5b');
  });
  it('shows the model when ready, and says when completions are manual', () => {
    assert.equal(present({ ...base, state: 'ready' }).text, '$(sparkle) qwen2.5-coder-0.5b');
    assert.equal(present({ ...base, state: 'ready' }, false).text, '$(sparkle) qwen2.5-coder-0.5b (manual)');
  });
  it('marks errors and carries the message in the tooltip', () => {
    const shown = present({ ...base, state: 'error', message: 'no GGUF file' });
    assert.equal(shown.error, true);
    assert.match(shown.tooltip, /no GGUF file/);
    assert.match(shown.tooltip, /show the log/);
  });
});

describe('StatusBar', () => {
  it('follows notifications and client states on one item', () => {
    const item = fakeItem();
    const bar = new StatusBar(item, RED, 'slmLsp.showLog');
    assert.equal(item.shown, true);
    assert.equal(item.command, 'slmLsp.showLog');
    assert.equal(item.text, '$(loading~spin) slm-lsp');

    bar.onNotification({ state: 'error', message: 'boom', percentage: null, model: 'm' });
    assert.equal(item.text, '$(error) m');
    assert.equal(item.backgroundColor, RED);

    bar.onNotification({ state: 'busy', message: '', percentage: null, model: 'm' });
    assert.equal(item.text, '$(sync~spin) m');
    assert.equal(item.backgroundColor, undefined);

    bar.onNotification({ nonsense: true });
    assert.equal(item.text, '$(sync~spin) m', 'a malformed notification changes nothing');

    bar.setClientState('stopped', 'exit code 1');
    assert.equal(item.text, '$(circle-slash) slm-lsp');
    assert.match(String(item.tooltip), /not running\nexit code 1/);
    bar.dispose();
    assert.equal(item.disposed, true);
  });
});
