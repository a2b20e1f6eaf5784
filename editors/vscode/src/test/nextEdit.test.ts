// Next edits: the server's answer read as a proposal (proposal.ts), and the controller
// (nextEdit.ts) in a fake editor whose text really changes: it asks after an edit, shows the
// proposal at its line, Tab goes there, Tab again makes it and asks for the next; stale
// answers and stale proposals are dropped. The real server and VS Code are in
// tests/editor/test_vscode_ui.py.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import * as fake from './fake-vscode';

fake.install();

// Loaded after the fake is installed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nextEdit = require('../nextEdit') as typeof import('../nextEdit');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proposal = require('../proposal') as typeof import('../proposal');

const DEBOUNCE_MS = 20;

const SCALE = 'def scale(count, factor):\n    return count * factor\n';

function answer(uri: string, version: number, line: number, start: number, end: number, newText = 'total') {
  return {
    uri,
    version,
    range: { start: { line, character: start }, end: { line, character: end } },
    newText,
    label: 'Rename `count` to `total`',
    source: 'syntax',
    reason: 'rename',
  };
}

describe('readProposal', () => {
  it('reads the documented result', () => {
    const read = proposal.readProposal(answer('file:///a.py', 7, 12, 4, 9));
    assert.deepEqual(read, {
      uri: 'file:///a.py',
      version: 7,
      range: { start: { line: 12, character: 4 }, end: { line: 12, character: 9 } },
      newText: 'total',
      label: 'Rename `count` to `total`',
      source: 'syntax',
      reason: 'rename',
    });
  });
  it('drops null and wrong shapes', () => {
    const good = answer('file:///a.py', 7, 12, 4, 9);
    for (const bad of [
      null,
      undefined,
      [],
      'edit',
      { ...good, uri: '' },
      { ...good, version: '7' },
      { ...good, newText: 3 },
      { ...good, range: { start: { line: 1, character: 2 } } },
      { ...good, range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } },
      { ...good, range: { start: { line: 2, character: 0 }, end: { line: 1, character: 0 } } },
    ]) {
      assert.equal(proposal.readProposal(bad), undefined, JSON.stringify(bad));
    }
  });
  it('gives a proposal without a label a plain one', () => {
    assert.equal(proposal.readProposal({ ...answer('file:///a.py', 1, 0, 0, 0), label: ' ' })?.label, 'Next edit');
  });
});

describe('where the proposal is and what Tab does', () => {
  const p = proposal.readProposal(answer('file:///a.py', 1, 3, 4, 9))!;
  it('is at the cursor inside its range or at either end, in its document only', () => {
    assert.ok(proposal.isAtCursor(p, 'file:///a.py', { line: 3, character: 4 }));
    assert.ok(proposal.isAtCursor(p, 'file:///a.py', { line: 3, character: 9 }));
    assert.ok(!proposal.isAtCursor(p, 'file:///a.py', { line: 3, character: 10 }));
    assert.ok(!proposal.isAtCursor(p, 'file:///a.py', { line: 2, character: 5 }));
    assert.ok(!proposal.isAtCursor(p, 'file:///b.py', { line: 3, character: 5 }));
    assert.equal(proposal.tabAction(p, 'file:///a.py', { line: 0, character: 0 }), 'jump');
    assert.equal(proposal.tabAction(p, 'file:///a.py', { line: 3, character: 4 }), 'accept');
  });
  it('shows the label with the key, and the replacement shortened', () => {
    assert.equal(proposal.hintText(p, 'jump'), '⇥ Tab: Rename `count` to `total`');
    assert.equal(proposal.hintText(p, 'accept'), '⇥ Tab to accept: Rename `count` to `total`');
    assert.equal(proposal.replacementPreview('total'), 'total');
    assert.equal(proposal.replacementPreview('scale(a, b)\nmore'), 'scale(a, b)…');
    assert.equal(proposal.replacementPreview('\n    x = 1\n'), 'x = 1…');
    assert.equal(proposal.replacementPreview(''), '∅');
    assert.equal(proposal.replacementPreview('\n'), '⏎');
    assert.equal(proposal.replacementPreview('x'.repeat(50)).length, 40);
  });
  it('puts the cursor at the end of the new text', () => {
    assert.deepEqual(proposal.endAfterEdit(p), { line: 3, character: 9 });
    assert.deepEqual(proposal.endAfterEdit({ ...p, newText: 'a\nbc' }), { line: 4, character: 2 });
  });
});

describe('withNextEditCommand', () => {
  it('makes an accepted inline completion ask for the next edit, keeping a command it has', () => {
    const own = { command: 'other', title: 'x' };
    const list: { items: Array<{ insertText: string; command?: unknown }> } = { items: [{ insertText: 'a' }, { insertText: 'b', command: own }] };
    nextEdit.withNextEditCommand(list);
    assert.deepEqual(list.items[0].command, { command: 'slmLsp.nextEdit.suggest', title: 'Suggest the next edit' });
    assert.equal(list.items[1].command, own);
    const array: Array<{ command?: unknown }> = [{}];
    nextEdit.withNextEditCommand(array);
    assert.equal((array[0].command as { command: string }).command, 'slmLsp.nextEdit.suggest');
    assert.equal(nextEdit.withNextEditCommand(null), null);
  });
});

describe('the keybindings and the setting', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  it('binds Tab and Escape only while a proposal is shown and nothing else wants the key', () => {
    const bindings: Array<{ command: string; key: string; when: string }> = manifest.contributes.keybindings;
    const tab = bindings.find((b) => b.key === 'tab');
    const escape = bindings.find((b) => b.key === 'escape');
    assert.equal(tab?.command, nextEdit.NEXT_EDIT_COMMANDS.tab);
    assert.equal(escape?.command, nextEdit.NEXT_EDIT_COMMANDS.dismiss);
    const conditions = (when: string) => when.split('&&').map((c) => c.trim());
    for (const needed of ['editorTextFocus', 'slmLsp.nextEditShown', '!inlineSuggestionVisible', '!suggestWidgetVisible',
      '!editorHasSelection', '!inSnippetMode']) {
      assert.ok(conditions(tab!.when).includes(needed), `Tab when has ${needed}`);
    }
    for (const needed of ['slmLsp.nextEditShown', '!inlineSuggestionVisible', '!suggestWidgetVisible', '!findWidgetVisible']) {
      assert.ok(conditions(escape!.when).includes(needed), `Escape when has ${needed}`);
    }
    assert.equal(nextEdit.NEXT_EDIT_CONTEXT, 'slmLsp.nextEditShown');
  });
  it('contributes slmLsp.nextEdit.enable, on by default', () => {
    assert.equal(manifest.contributes.configuration.properties['slmLsp.nextEdit.enable'].default, true);
  });
});

type Ask = { uri: string; line: number; character: number; version: number };

describe('the controller in an editor', () => {
  const asks: Ask[] = [];
  let answers: Array<unknown | Promise<unknown>> = [];
  let enabled = true;
  const controller = new nextEdit.NextEditController(
    {
      ask: (document, position) => {
        asks.push({ uri: document.uri.toString(), line: position.line, character: position.character, version: document.version });
        return Promise.resolve(answers.shift() ?? null);
      },
      owns: (document) => document.uri.scheme === 'file',
      enabled: () => enabled,
      log: { debug: (m: string) => fake.logLines.push(`debug ${m}`) } as unknown as import('vscode').LogOutputChannel,
    },
    DEBOUNCE_MS,
  );
  controller.register({ subscriptions: [] });
  const [lineType, rangeType] = [fake.decorationTypes.length - 2, fake.decorationTypes.length - 1];
  let n = 0;

  /** A new editor on SCALE, the user having renamed the parameter `count` to `total`. */
  function renamed(): fake.FakeEditor {
    const editor = fake.openEditor(`/w/scale${n++}.py`, 'python', SCALE);
    editor.userEdit(new fake.Range(0, 10, 0, 15), 'total');
    return editor;
  }

  async function settle(ms = DEBOUNCE_MS * 4): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  function hint(editor: fake.FakeEditor): string | undefined {
    const items = editor.decorations.get(lineType) as Array<{ range: fake.Range; renderOptions: { after: { contentText: string } } }>;
    return items?.[0]?.renderOptions.after.contentText;
  }

  beforeEach(() => {
    controller.dismiss();
    asks.length = 0;
    answers = [];
    enabled = true;
  });

  it('decorates the line with a gutter marker and the label, and the range with its replacement', () => {
    const line = fake.decorationTypes[lineType].options;
    assert.equal(line.isWholeLine, true);
    assert.match(String(line.gutterIconPath), /^data:image\/svg\+xml/);
    assert.equal((fake.decorationTypes[rangeType].options as { textDecoration: string }).textDecoration, 'line-through');
  });

  it('asks once after the user stops typing, shows the proposal, Tab goes there, Tab makes it and asks for the next', async () => {
    const editor = renamed();
    const uri = editor.document.uri.toString();
    editor.userEdit(new fake.Range(0, 15, 0, 15), '');
    await settle(DEBOUNCE_MS / 4);
    assert.equal(asks.length, 0, 'not while typing');
    answers = [answer(uri, editor.document.version, 1, 11, 16)];
    await settle();
    assert.deepEqual(asks, [{ uri, line: 0, character: 15, version: editor.document.version }]);
    assert.equal(fake.contextKeys.get('slmLsp.nextEditShown'), true);
    assert.equal(hint(editor), '⇥ Tab: Rename `count` to `total`');
    const line = (editor.decorations.get(lineType) as Array<{ range: fake.Range }>)[0].range;
    assert.equal(line.start.line, 1);
    const range = (editor.decorations.get(rangeType) as Array<{ range: fake.Range; renderOptions: { after: { contentText: string } } }>)[0];
    assert.deepEqual([range.range.start, range.range.end], [new fake.Position(1, 11), new fake.Position(1, 16)]);
    assert.equal(range.renderOptions.after.contentText, 'total');

    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.deepEqual(editor.selection.active, new fake.Position(1, 11), 'the cursor is at the proposal');
    assert.ok(editor.selection.isEmpty, 'no selection: the next Tab is ours too');
    assert.equal(editor.revealed.length, 1);
    assert.equal(editor.content, 'def scale(total, factor):\n    return count * factor\n', 'nothing made yet');
    assert.equal(hint(editor), '⇥ Tab to accept: Rename `count` to `total`');

    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.equal(editor.content, 'def scale(total, factor):\n    return total * factor\n');
    assert.deepEqual(editor.selection.active, new fake.Position(1, 16));
    assert.equal(asks.length, 2, 'asked for the next one');
    assert.deepEqual(asks[1], { uri, line: 1, character: 16, version: editor.document.version });
    assert.equal(fake.contextKeys.get('slmLsp.nextEditShown'), false, 'nothing follows');
    assert.deepEqual(editor.decorations.get(lineType), []);
    assert.deepEqual(editor.decorations.get(rangeType), []);
    await settle();
    assert.equal(asks.length, 2, 'its own edit does not make it ask again');
  });

  it('does not make a proposal whose document changed since: it asks again', async () => {
    const editor = renamed();
    const uri = editor.document.uri.toString();
    answers = [answer(uri, editor.document.version, 1, 11, 16)];
    await settle();
    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    // A change the controller did not see as an edit (as from another extension's undo stop).
    editor.document.version++;
    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.equal(editor.content, 'def scale(total, factor):\n    return count * factor\n', 'not made');
    assert.equal(asks.length, 2, 'asked again instead');
  });

  it('drops an answer for a version that is not the document’s, and one at the cursor', async () => {
    const editor = renamed();
    const uri = editor.document.uri.toString();
    answers = [answer(uri, editor.document.version - 1, 1, 11, 16)];
    await settle();
    assert.equal(asks.length, 1);
    assert.equal(controller.shown, undefined);
    answers = [answer(uri, editor.document.version, 0, 10, 15)];
    assert.equal(await controller.suggest(), undefined, 'the cursor is at its range');
    assert.equal(fake.contextKeys.get('slmLsp.nextEditShown'), false);
  });

  it('drops an answer that arrives after the user typed again', async () => {
    const editor = renamed();
    const uri = editor.document.uri.toString();
    let release!: (value: unknown) => void;
    answers = [new Promise((r) => (release = r))];
    await settle();
    assert.equal(asks.length, 1);
    editor.userEdit(new fake.Range(1, 0, 1, 0), ' ');
    release(answer(uri, editor.document.version, 1, 12, 17));
    await settle();
    assert.equal(asks.length, 2, 'the typing asked again');
    assert.equal(controller.shown, undefined, 'the late answer was not shown');
  });

  it('is dismissed by Escape and by an edit elsewhere', async () => {
    const editor = renamed();
    const uri = editor.document.uri.toString();
    answers = [answer(uri, editor.document.version, 1, 11, 16)];
    await settle();
    assert.ok(controller.shown);
    await fake.commands.get('slmLsp.nextEdit.dismiss')!();
    assert.equal(controller.shown, undefined);
    assert.equal(fake.contextKeys.get('slmLsp.nextEditShown'), false);
    assert.deepEqual(editor.decorations.get(lineType), []);

    answers = [answer(uri, editor.document.version, 1, 11, 16)];
    await controller.suggest();
    assert.ok(controller.shown);
    editor.userEdit(new fake.Range(1, 0, 1, 0), '#');
    assert.equal(controller.shown, undefined, 'gone at the edit');
    assert.deepEqual(editor.decorations.get(lineType), []);
  });

  it('does not ask when slmLsp.nextEdit.enable is off, and Tab is a Tab without a proposal', async () => {
    enabled = false;
    renamed();
    await settle();
    assert.equal(asks.length, 0);
    fake.executed.length = 0;
    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.deepEqual(fake.executed, [['tab']]);
  });

  it('goes to a proposal in another open document', async () => {
    const other = fake.openEditor('/w/caller.py', 'python', 'from scale import scale\nscale(count=2, factor=3)\n');
    const editor = renamed();
    answers = [answer(other.document.uri.toString(), other.document.version, 1, 6, 11)];
    await settle();
    assert.equal(hint(other), '⇥ Tab: Rename `count` to `total`');
    assert.equal(editor.decorations.get(lineType)?.length ?? 0, 0);
    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.equal((fake.vscode.window as { activeTextEditor: unknown }).activeTextEditor, other);
    await fake.commands.get('slmLsp.nextEdit.jumpOrAccept')!();
    assert.equal(other.content, 'from scale import scale\nscale(total=2, factor=3)\n');
  });
});
