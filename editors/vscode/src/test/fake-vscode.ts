// Just enough of the `vscode` module to activate the extension under plain Node: the parts the
// extension uses are real fakes that record what happens (configuration, status bar item,
// commands, output channel); everything else vscode-languageclient touches is a no-op stand-in.
import Module from 'node:module';

type Listener<T> = (event: T) => unknown;

export class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];
  /** As VS Code's `Event`: the listener is called with `thisArg` as `this`. */
  event = (listener: Listener<T>, thisArg?: unknown, disposables?: Array<{ dispose(): unknown }>) => {
    const bound: Listener<T> = thisArg === undefined ? listener : listener.bind(thisArg);
    this.listeners.push(bound);
    const subscription = { dispose: () => (this.listeners = this.listeners.filter((l) => l !== bound)) };
    disposables?.push(subscription);
    return subscription;
  };
  fire(event: T): void {
    for (const l of [...this.listeners]) {
      l(event);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** A value that is callable, constructible and has every property: a no-op for unused API. */
function anything(name: string): unknown {
  const target = function () {} as unknown as Record<string | symbol, unknown>;
  return new Proxy(target, {
    get(t, prop) {
      if (prop in t && prop !== 'name' && prop !== 'length') {
        return t[prop];
      }
      if (prop === 'then') {
        return undefined;
      }
      if (prop === Symbol.iterator) {
        return function* () {};
      }
      if (prop === Symbol.toPrimitive) {
        return () => name;
      }
      if (prop === 'dispose') {
        return () => undefined;
      }
      return (t[prop] = anything(`${name}.${String(prop)}`));
    },
    set(t, prop, value) {
      t[prop] = value;
      return true;
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`) as object,
  });
}

/** The user's settings, as dotted keys under `slmLsp` (`server.path`, `completion.automatic`). */
export const settings = new Map<string, unknown>();
export const configurationChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
export const commands = new Map<string, (...args: unknown[]) => unknown>();
export const statusItems: Array<Record<string, unknown>> = [];
export const logLines: string[] = [];
/** Each `languages.register*Provider(selector, provider, ...)` call: the method, its selector and provider. */
export const registrations: Array<{ method: string; selector: unknown; provider: unknown }> = [];
/** The open documents (`workspace.textDocuments`); add one with `openDocument`. */
export const textDocuments: FakeDocument[] = [];
export const documentOpened = new EventEmitter<FakeDocument>();

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c as number, d as number) : (b as Position);
  }
  /** As VS Code's own `Range` serializes. */
  toJSON(): [Position, Position] {
    return [this.start, this.end];
  }
}

export class Selection extends Range {
  readonly anchor: Position;
  readonly active: Position;
  constructor(anchor: Position, active: Position) {
    const forward = anchor.line < active.line || (anchor.line === active.line && anchor.character <= active.character);
    super(forward ? anchor : active, forward ? active : anchor);
    this.anchor = anchor;
    this.active = active;
  }
  get isEmpty(): boolean {
    return this.anchor.line === this.active.line && this.anchor.character === this.active.character;
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(fsPath: string): Uri {
    return new Uri('file', fsPath);
  }
  static parse(value: string): Uri {
    const colon = value.indexOf(':');
    const scheme = value.slice(0, colon);
    return scheme === 'file' ? new Uri('file', decodeURI(value.slice('file://'.length))) : new Uri(scheme, value.slice(colon + 1));
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${encodeURI(this.fsPath)}` : `${this.scheme}:${this.fsPath}`;
  }
}

export class SnippetString {
  constructor(readonly value: string) {}
}

export class InlineCompletionItem {
  filterText?: string;
  constructor(
    readonly insertText: string | SnippetString,
    readonly range?: Range,
    readonly command?: unknown,
  ) {}
}

export class InlineCompletionList {
  constructor(readonly items: InlineCompletionItem[]) {}
}

/** The parts of a `TextDocument` vscode-languageclient reads. */
export interface FakeDocument {
  uri: Uri;
  fileName: string;
  languageId: string;
  version: number;
  isClosed: boolean;
  getText(): string;
}

/** Opens a document in the fake workspace: listed in `textDocuments` and announced. */
export function openDocument(fsPath: string, languageId: string, text: string): FakeDocument {
  const document: FakeDocument = {
    uri: Uri.file(fsPath),
    fileName: fsPath,
    languageId,
    version: 1,
    isClosed: false,
    getText: () => text,
  };
  textDocuments.push(document);
  documentOpened.fire(document);
  return document;
}

/** `workspace.onDidChangeTextDocument`, `onDidCloseTextDocument`, and the window's editor events. */
export const documentChanged = new EventEmitter<{ document: FakeDocument; contentChanges: unknown[]; reason: undefined }>();
export const documentClosed = new EventEmitter<FakeDocument>();
export const activeEditorChanged = new EventEmitter<FakeEditor | undefined>();
export const visibleEditorsChanged = new EventEmitter<FakeEditor[]>();
export const selectionChanged = new EventEmitter<{ textEditor: FakeEditor }>();
/** Every `commands.executeCommand` call, and the context keys set through `setContext`. */
export const executed: unknown[][] = [];
export const contextKeys = new Map<string, unknown>();
/** Each `window.createTextEditorDecorationType(options)`: the options, as given. */
export const decorationTypes: Array<{ options: Record<string, unknown>; dispose(): void }> = [];

function offsetAt(text: string, p: Position): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < p.line; i++) {
    offset += lines[i].length + 1;
  }
  return offset + Math.min(p.character, lines[p.line]?.length ?? 0);
}

/**
 * A text editor on a document whose text changes: `edit` (the extension's edits) and
 * `userEdit` (the user's) replace ranges, bump the version and fire `onDidChangeTextDocument`;
 * `setDecorations` and `revealRange` are recorded.
 */
export class FakeEditor {
  readonly document: FakeDocument & { lineCount: number };
  selection: Selection = new Selection(new Position(0, 0), new Position(0, 0));
  /** The last decorations set per decoration type (its index in `decorationTypes`). */
  readonly decorations = new Map<number, unknown[]>();
  readonly revealed: Range[] = [];
  private text: string;

  constructor(fsPath: string, languageId: string, text: string) {
    this.text = text;
    const document = openDocument(fsPath, languageId, text) as FakeDocument & { lineCount: number };
    document.getText = () => this.text;
    Object.defineProperty(document, 'lineCount', { get: () => this.text.split('\n').length });
    this.document = document;
  }

  get selections(): Selection[] {
    return [this.selection];
  }

  /** The document's text now. */
  get content(): string {
    return this.text;
  }

  setDecorations(type: unknown, items: unknown[]): void {
    this.decorations.set(decorationTypes.indexOf(type as (typeof decorationTypes)[number]), items);
  }

  revealRange(range: Range): void {
    this.revealed.push(range);
  }

  async edit(build: (builder: { replace(range: Range, text: string): void }) => void): Promise<boolean> {
    const replacements: Array<{ range: Range; text: string }> = [];
    build({ replace: (range, text) => replacements.push({ range, text }) });
    for (const r of replacements) {
      this.replace(r.range, r.text);
    }
    return true;
  }

  /** What typing does: replace the range, move the cursor to the end of the new text. */
  userEdit(range: Range, text: string): void {
    this.replace(range, text);
    const lines = text.split('\n');
    const end = lines.length === 1
      ? new Position(range.start.line, range.start.character + text.length)
      : new Position(range.start.line + lines.length - 1, lines[lines.length - 1].length);
    this.selection = new Selection(end, end);
    selectionChanged.fire({ textEditor: this });
  }

  private replace(range: Range, text: string): void {
    const start = offsetAt(this.text, range.start);
    const end = offsetAt(this.text, range.end);
    this.text = this.text.slice(0, start) + text + this.text.slice(end);
    this.document.version++;
    documentChanged.fire({ document: this.document, contentChanges: [{ range, text }], reason: undefined });
  }
}

/** Opens an editor on a new document and makes it the active, visible one. */
export function openEditor(fsPath: string, languageId: string, text: string): FakeEditor {
  const editor = new FakeEditor(fsPath, languageId, text);
  const window = vscode.window as { activeTextEditor: unknown; visibleTextEditors: unknown[] };
  window.activeTextEditor = editor;
  window.visibleTextEditors = [...window.visibleTextEditors, editor];
  activeEditorChanged.fire(editor);
  return editor;
}

/** Makes `fsPath` the one workspace folder (the server runs there). */
export function setWorkspaceFolder(fsPath: string): void {
  (vscode.workspace as { workspaceFolders: unknown }).workspaceFolders = [
    { uri: Uri.file(fsPath), name: fsPath.split(/[\\/]/).pop() ?? fsPath, index: 0 },
  ];
}

/** `languages.match` for the selectors the extension uses: scheme and language filters. */
function match(selector: unknown, document: FakeDocument): number {
  const filters = Array.isArray(selector) ? selector : [selector];
  let score = 0;
  for (const f of filters) {
    if (typeof f === 'string') {
      score = Math.max(score, f === '*' ? 5 : f === document.languageId ? 10 : 0);
      continue;
    }
    const filter = f as { scheme?: string; language?: string; pattern?: unknown };
    if (filter.pattern !== undefined) {
      continue;
    }
    if (filter.scheme !== undefined && filter.scheme !== document.uri.scheme) {
      continue;
    }
    if (filter.language !== undefined && filter.language !== document.languageId) {
      continue;
    }
    score = Math.max(score, filter.language !== undefined ? 10 : 5);
  }
  return score;
}

function section(name: string | undefined): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of settings) {
    const full = `slmLsp.${key}`;
    if (name && !full.startsWith(`${name}.`)) {
      continue;
    }
    const parts = (name ? full.slice(name.length + 1) : full).split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  const lookup = (key: string) => key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], root);
  return Object.assign(root, {
    get: (key: string, fallback?: unknown) => lookup(key) ?? fallback,
    has: (key: string) => lookup(key) !== undefined,
    inspect: () => undefined,
    update: async (key: string, value: unknown) => {
      settings.set(name && name !== 'slmLsp' ? `${name.slice('slmLsp.'.length)}.${key}` : key, value);
      configurationChanged.fire({ affectsConfiguration: (s: string) => `${name}.${key}`.startsWith(s) || s.startsWith(`${name}.${key}`) });
    },
  });
}

function logChannel() {
  const write = (level: string) => (message: string) => logLines.push(`${level} ${message}`);
  return {
    name: 'slm-lsp',
    logLevel: 2,
    onDidChangeLogLevel: new EventEmitter<number>().event,
    append: (s: string) => logLines.push(s),
    appendLine: (s: string) => logLines.push(s),
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
}

const known: Record<string, unknown> = {
  version: '1.90.0',
  EventEmitter,
  env: { appName: 'fake', language: 'en', machineId: 'fake', sessionId: 'fake', uiKind: 1 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 },
  TextEditorRevealType: { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 },
  OverviewRulerLane: { Left: 1, Center: 2, Right: 4, Full: 7 },
  Position,
  Range,
  Selection,
  Uri,
  SnippetString,
  InlineCompletionItem,
  InlineCompletionList,
  ThemeColor: class {
    constructor(public id: string) {}
  },
  Disposable: class {
    static from(...items: Array<{ dispose(): unknown }>) {
      return { dispose: () => items.forEach((i) => i.dispose()) };
    }
    constructor(private readonly fn: () => unknown) {}
    dispose() {
      this.fn();
    }
  },
  workspace: new Proxy(
    {
      getConfiguration: section,
      onDidChangeConfiguration: configurationChanged.event,
      workspaceFolders: undefined,
      textDocuments,
      onDidOpenTextDocument: documentOpened.event,
      onDidChangeTextDocument: documentChanged.event,
      onDidCloseTextDocument: documentClosed.event,
      notebookDocuments: [],
    } as Record<string | symbol, unknown>,
    { get: (t, p) => (p in t ? t[p] : anything(`workspace.${String(p)}`)) },
  ),
  window: new Proxy(
    {
      createOutputChannel: logChannel,
      createStatusBarItem: () => {
        const item: Record<string, unknown> = { show: () => (item.visible = true), hide: () => undefined, dispose: () => undefined };
        statusItems.push(item);
        return item;
      },
      visibleTextEditors: [],
      activeTextEditor: undefined,
      onDidChangeActiveTextEditor: activeEditorChanged.event,
      onDidChangeVisibleTextEditors: visibleEditorsChanged.event,
      onDidChangeTextEditorSelection: selectionChanged.event,
      createTextEditorDecorationType: (options: Record<string, unknown>) => {
        const type = { options, dispose: () => undefined };
        decorationTypes.push(type);
        return type;
      },
      showTextDocument: async (uri: Uri) => {
        const editor = (vscode.window as { visibleTextEditors: FakeEditor[] }).visibleTextEditors.find(
          (e) => e.document.uri.toString() === uri.toString(),
        );
        if (!editor) {
          throw new Error(`no editor for ${uri.toString()}`);
        }
        (vscode.window as { activeTextEditor: unknown }).activeTextEditor = editor;
        activeEditorChanged.fire(editor);
        return editor;
      },
      showErrorMessage: async (...args: unknown[]) => void logLines.push(`showErrorMessage ${String(args[0])}`),
      showWarningMessage: async (...args: unknown[]) => void logLines.push(`showWarningMessage ${String(args[0])}`),
      showInformationMessage: async (...args: unknown[]) => void logLines.push(`showInformationMessage ${String(args[0])}`),
      setStatusBarMessage: (text: string) => {
        logLines.push(`setStatusBarMessage ${text}`);
        return { dispose: () => undefined };
      },
    } as Record<string | symbol, unknown>,
    { get: (t, p) => (p in t ? t[p] : anything(`window.${String(p)}`)) },
  ),
  commands: new Proxy(
    {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        commands.set(id, fn);
        return { dispose: () => commands.delete(id) };
      },
      executeCommand: async (...args: unknown[]) => {
        executed.push(args);
        if (args[0] === 'setContext') {
          contextKeys.set(args[1] as string, args[2]);
        }
        return undefined;
      },
    } as Record<string | symbol, unknown>,
    { get: (t, p) => (p in t ? t[p] : anything(`commands.${String(p)}`)) },
  ),
  languages: new Proxy({ match } as Record<string | symbol, unknown>, {
    get: (t, p) =>
      p in t
        ? t[p]
        : typeof p === 'string' && p.startsWith('register')
          ? (selector: unknown, provider: unknown) => {
              registrations.push({ method: p, selector, provider });
              return { dispose: () => undefined };
            }
          : anything(`languages.${String(p)}`),
  }),
  extensions: { getExtension: () => undefined, all: [], onDidChange: new EventEmitter<void>().event },
};

export const vscode = new Proxy(known, { get: (t, p) => (p in t ? t[p as string] : anything(String(p))) });

/** Makes `require('vscode')` return the fake. */
export function install(): void {
  const mod = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode } as unknown as NodeModule;
}
