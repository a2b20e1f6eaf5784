// Next edit suggestions (`slmLsp/nextEdit`, docs/next-edit.md): after the user changes a
// document the server has (debounced) or accepts an inline completion, ask the server for the
// edit that follows. A proposal away from the cursor is shown at its line (a gutter marker, the
// label at the end of the line, the old text struck through and the new text beside it); Tab
// goes there, Tab again makes it with the editor's own edit (only if the document is still the
// version the proposal is for), then asks for the next. Escape, or any other edit, dismisses it.
import * as vscode from 'vscode';
import {
  Pos,
  Proposal,
  endAfterEdit,
  hintText,
  isAtCursor,
  readProposal,
  replacementPreview,
  tabAction,
} from './proposal';

export const NEXT_EDIT_COMMANDS = {
  /** Tab while a proposal is shown: go to it, or make it when the cursor is there. */
  tab: 'slmLsp.nextEdit.jumpOrAccept',
  /** Escape while a proposal is shown. */
  dismiss: 'slmLsp.nextEdit.dismiss',
  /** Ask now (also run by VS Code after an inline completion is accepted). */
  suggest: 'slmLsp.nextEdit.suggest',
} as const;

/** The context key the Tab and Escape keybindings depend on. */
export const NEXT_EDIT_CONTEXT = 'slmLsp.nextEditShown';

/** How long after the last change the next edit is asked for. */
export const NEXT_EDIT_DEBOUNCE_MS = 300;

/** What the controller needs from the rest of the extension. */
export interface NextEditHost {
  /** Sends `slmLsp/nextEdit` for the cursor; undefined when no server is running. */
  ask(document: vscode.TextDocument, position: vscode.Position): Promise<unknown> | undefined;
  /** Whether the server has this document (the client's document selector matches it). */
  owns(document: vscode.TextDocument): boolean;
  /** `slmLsp.nextEdit.enable`. */
  enabled(): boolean;
  log: vscode.LogOutputChannel;
}

/** The gutter marker: an arrow pointing right, in the editor's info colour. */
const GUTTER_ICON =
  'data:image/svg+xml;utf8,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
      '<path fill="#3794ff" d="M2 7h8.6L7.3 3.7l1.4-1.4L14.4 8l-5.7 5.7-1.4-1.4L10.6 9H2z"/></svg>',
  );

function toRange(span: { start: Pos; end: Pos }): vscode.Range {
  return new vscode.Range(span.start.line, span.start.character, span.end.line, span.end.character);
}

/** Shows one proposal at a time and makes it on Tab. */
export class NextEditController implements vscode.Disposable {
  private current: Proposal | undefined;
  /** The document the proposal was asked from (the proposal may be in another). */
  private origin: string | undefined;
  /** Bumped by every ask, change and dismissal: an answer to an older ask is dropped. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  /** True while the controller makes an edit itself (its change is not the user's). */
  private applying = false;
  /** True while the controller opens the proposal's document. */
  private jumping = false;
  /** Whether decorations may be on screen. */
  private rendered = false;
  private readonly lineDecoration: vscode.TextEditorDecorationType;
  private readonly rangeDecoration: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly host: NextEditHost,
    private readonly debounceMs = NEXT_EDIT_DEBOUNCE_MS,
  ) {
    this.lineDecoration = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      gutterIconPath: vscode.Uri.parse(GUTTER_ICON),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('editorInfo.foreground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      after: {
        margin: '0 0 0 2em',
        color: new vscode.ThemeColor('editorCodeLens.foreground'),
        fontStyle: 'italic',
      },
    });
    this.rangeDecoration = vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor('diffEditor.removedTextBackground'),
      textDecoration: 'line-through',
      after: {
        margin: '0 0 0 0.25em',
        backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
      },
    });
    this.disposables.push(
      this.lineDecoration,
      this.rangeDecoration,
      vscode.workspace.onDidChangeTextDocument((event) => this.onChange(event)),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (this.current && document.uri.toString() === this.current.uri) {
          this.dismiss();
        }
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.onActiveEditor(editor)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.window.onDidChangeTextEditorSelection(() => this.render()),
    );
  }

  /** Registers the commands (see package.json for their keys). */
  register(context: { subscriptions: vscode.Disposable[] }): void {
    context.subscriptions.push(
      this,
      vscode.commands.registerCommand(NEXT_EDIT_COMMANDS.tab, () => this.tab()),
      vscode.commands.registerCommand(NEXT_EDIT_COMMANDS.dismiss, () => this.dismiss()),
      vscode.commands.registerCommand(NEXT_EDIT_COMMANDS.suggest, () => this.suggest()),
    );
  }

  /** The proposal shown, if any. */
  get shown(): Proposal | undefined {
    return this.current;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.clear();
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  /** Hides the proposal, and drops any answer still on its way. */
  dismiss(): void {
    clearTimeout(this.timer);
    this.generation++;
    this.clear();
  }

  /**
   * Asks the server for the next edit at the cursor of `editor` (the active one by default) and
   * shows the answer when it is away from the cursor. Returns what is shown.
   */
  async suggest(editor = vscode.window.activeTextEditor): Promise<Proposal | undefined> {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    if (!editor || !this.host.enabled() || !this.host.owns(editor.document)) {
      return undefined;
    }
    const document = editor.document;
    const version = document.version;
    let result: unknown;
    try {
      const pending = this.host.ask(document, editor.selection.active);
      if (!pending) {
        return undefined;
      }
      result = await pending;
    } catch (err) {
      this.host.log.debug(`slmLsp/nextEdit: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    if (generation !== this.generation || document.version !== version || document.isClosed) {
      return undefined; // the user went on: a newer ask follows
    }
    const read = readProposal(result);
    if (!read) {
      return undefined;
    }
    const proposal = { ...read, uri: vscode.Uri.parse(read.uri).toString() };
    const target = this.documentFor(proposal.uri);
    if (!target || target.version !== proposal.version) {
      return undefined;
    }
    if (isAtCursor(proposal, document.uri.toString(), editor.selection.active)) {
      return undefined; // where the user is typing: the inline completion's place
    }
    this.current = proposal;
    this.origin = document.uri.toString();
    void vscode.commands.executeCommand('setContext', NEXT_EDIT_CONTEXT, true);
    this.render();
    return proposal;
  }

  /** Tab: go to the proposal, or make it when the cursor is there; a plain Tab without one. */
  async tab(): Promise<void> {
    const proposal = this.current;
    const editor = vscode.window.activeTextEditor;
    if (!proposal || !editor) {
      await vscode.commands.executeCommand('tab');
      return;
    }
    if (tabAction(proposal, editor.document.uri.toString(), editor.selection.active) === 'jump') {
      await this.jump(proposal, editor);
    } else {
      await this.accept(proposal, editor);
    }
  }

  private async jump(proposal: Proposal, from: vscode.TextEditor): Promise<void> {
    let editor = from;
    if (editor.document.uri.toString() !== proposal.uri) {
      this.jumping = true;
      try {
        editor = await vscode.window.showTextDocument(vscode.Uri.parse(proposal.uri));
      } finally {
        this.jumping = false;
      }
    }
    const range = toRange(proposal.range);
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.render();
  }

  private async accept(proposal: Proposal, editor: vscode.TextEditor): Promise<void> {
    this.clear();
    if (editor.document.version !== proposal.version) {
      // The document changed since the proposal: it may be somewhere else now. Ask again.
      await this.suggest(editor);
      return;
    }
    this.applying = true;
    let made = false;
    try {
      made = await editor.edit((builder) => builder.replace(toRange(proposal.range), proposal.newText));
    } finally {
      this.applying = false;
    }
    if (made) {
      const end = endAfterEdit(proposal);
      const position = new vscode.Position(end.line, end.character);
      editor.selection = new vscode.Selection(position, position);
    }
    await this.suggest(editor);
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    if (this.applying || event.contentChanges.length === 0 || !this.host.owns(event.document)) {
      return;
    }
    this.dismiss();
    if (!this.host.enabled()) {
      return;
    }
    const document = event.document;
    this.timer = setTimeout(() => {
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document === document) {
        void this.suggest(editor);
      }
    }, this.debounceMs);
  }

  private onActiveEditor(editor: vscode.TextEditor | undefined): void {
    if (!this.current || this.jumping || !editor) {
      return;
    }
    const uri = editor.document.uri.toString();
    if (uri !== this.current.uri && uri !== this.origin) {
      this.dismiss();
      return;
    }
    this.render();
  }

  private documentFor(uri: string): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  }

  private clear(): void {
    const had = this.current !== undefined;
    this.current = undefined;
    this.origin = undefined;
    if (had) {
      void vscode.commands.executeCommand('setContext', NEXT_EDIT_CONTEXT, false);
    }
    this.render();
  }

  /** Puts the proposal's decorations in the editors that show its document, and none elsewhere. */
  private render(): void {
    const proposal = this.current;
    if (!proposal && !this.rendered) {
      return; // nothing shown, nothing to clear (the cursor moves often)
    }
    this.rendered = proposal !== undefined;
    const active = vscode.window.activeTextEditor;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!proposal || editor.document.uri.toString() !== proposal.uri) {
        editor.setDecorations(this.lineDecoration, []);
        editor.setDecorations(this.rangeDecoration, []);
        continue;
      }
      const action =
        active && active.document === editor.document
          ? tabAction(proposal, proposal.uri, active.selection.active)
          : 'jump';
      const line = proposal.range.start.line;
      editor.setDecorations(this.lineDecoration, [
        {
          range: new vscode.Range(line, 0, line, 0),
          hoverMessage: `slm-lsp next edit: ${proposal.label} (Tab, Escape to dismiss)`,
          renderOptions: { after: { contentText: hintText(proposal, action) } },
        },
      ]);
      editor.setDecorations(this.rangeDecoration, [
        {
          range: toRange(proposal.range),
          renderOptions: { after: { contentText: replacementPreview(proposal.newText) } },
        },
      ]);
    }
  }
}

/**
 * Inline completion items with the command that asks for the next edit once VS Code has
 * inserted one (items that carry their own command keep it).
 */
export function withNextEditCommand<T>(result: T): T {
  const value = result as unknown;
  const list = value && typeof value === 'object' ? (value as { items?: unknown }).items : undefined;
  const items: unknown[] = Array.isArray(value) ? value : Array.isArray(list) ? list : [];
  for (const item of items) {
    if (item && typeof item === 'object' && !(item as { command?: unknown }).command) {
      (item as { command?: vscode.Command }).command = {
        command: NEXT_EDIT_COMMANDS.suggest,
        title: 'Suggest the next edit',
      };
    }
  }
  return result;
}
