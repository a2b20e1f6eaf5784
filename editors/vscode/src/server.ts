// Starting, stopping and restarting the slm-lsp server, and finding the command that runs it.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  Command,
  SECTION,
  configurationAnswers,
  didChangePayload,
  findOnPath,
  launchSettings,
  resolveCli,
  scriptPath,
  serverSettings,
  withArgs,
} from './settings';
import { withNextEditCommand } from './nextEdit';
import { NEXT_EDIT_REQUEST } from './proposal';
import { STATUS_NOTIFICATION, StatusBar } from './status';

/**
 * Every document on disk or unsaved: the server answers for any language (with tree-sitter help
 * for Python, JavaScript/TypeScript, Go, Rust, Java, C and C++).
 */
/** The server command behind "Rewrite selection as asked…" (arguments: uri, range, instruction). */
export const REWRITE_COMMAND = 'slmLsp.rewrite';

export const DOCUMENT_SELECTOR = [{ scheme: 'file' }, { scheme: 'untitled' }];

/** The part of the Python extension's API used here (`@vscode/python-extension`). */
interface PythonApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(
      env: { path: string } | string,
    ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/**
 * The LSP `InlineCompletionTriggerKind` (Invoked 1, Automatic 2) for VS Code's (Invoke 0,
 * Automatic 1). vscode-languageclient 9 sends VS Code's number unchanged, which the server
 * rejects for an explicit request and takes an automatic one for an explicit one. Typed as VS
 * Code's enum only because the client's middleware carries VS Code's context.
 */
function lspInlineTriggerKind(kind: vscode.InlineCompletionTriggerKind): vscode.InlineCompletionTriggerKind {
  const INVOKED = 1;
  const AUTOMATIC = 2;
  return (kind === vscode.InlineCompletionTriggerKind.Invoke ? INVOKED : AUTOMATIC) as vscode.InlineCompletionTriggerKind;
}

/**
 * The inline completion context as the LSP has it. vscode-languageclient 9 sends VS Code's
 * context unconverted: its trigger kind (above), and the suggest widget's
 * `selectedCompletionInfo`, whose `range` is a VS Code `Range`, which serializes as
 * `[start, end]` where the LSP wants `{ start, end }` (the server refused every request made
 * while the suggest widget showed). Typed as VS Code's context for the same reason as above.
 */
export function lspInlineContext(context: vscode.InlineCompletionContext): vscode.InlineCompletionContext {
  const info = context.selectedCompletionInfo;
  const position = (p: vscode.Position) => ({ line: p.line, character: p.character });
  return {
    ...context,
    triggerKind: lspInlineTriggerKind(context.triggerKind),
    selectedCompletionInfo: info && ({
      range: { start: position(info.range.start), end: position(info.range.end) },
      text: info.text,
    } as unknown as vscode.SelectedCompletionInfo),
  };
}

function isExecutableFile(candidate: string): boolean {
  try {
    if (!fs.statSync(candidate).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(candidate, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** Owns the language client: one at a time, started and stopped in order. */
export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly status: StatusBar,
  ) {}

  /** The `slm-lsp` command line, without arguments (`python3 -m slm_lsp` as a last resort). */
  async cli(): Promise<Command> {
    const launch = launchSettings(vscode.workspace.getConfiguration(SECTION));
    const onPath = launch.path ? undefined : findOnPath('slm-lsp', process.env.PATH, isExecutableFile);
    const inEnvironment = launch.path || onPath ? undefined : await this.pythonEnvironmentScript();
    return resolveCli({
      configuredPath: launch.path,
      onPath,
      inEnvironment,
      python: process.platform === 'win32' ? 'python' : 'python3',
    });
  }

  /**
   * Sends `slmLsp/nextEdit` for `position` in `document` (docs/next-edit.md); undefined when
   * no server is running.
   */
  nextEdit(document: vscode.TextDocument, position: vscode.Position): Promise<unknown> | undefined {
    const client = this.client;
    if (!client || !client.isRunning()) {
      return undefined;
    }
    return client.sendRequest(NEXT_EDIT_REQUEST, {
      textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri) },
      position: { line: position.line, character: position.character },
    });
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  dispose(): void {
    void this.stop();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    const section = vscode.workspace.getConfiguration(SECTION);
    const server = withArgs(await this.cli(), ...launchSettings(section).args);
    this.log.info(`Starting the server: ${[server.command, ...server.args].join(' ')}`);
    this.status.setClientState('starting');

    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      transport: TransportKind.stdio,
      options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
    };
    let lastSent: string | undefined;
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      traceOutputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Read at each (re)start of the server process, so a restart after a crash sends the
      // settings of that moment.
      initializationOptions: () => {
        const settings = serverSettings(vscode.workspace.getConfiguration(SECTION));
        lastSent = JSON.stringify(settings);
        return settings;
      },
      synchronize: { configurationSection: SECTION },
      middleware: {
        // Each item, once accepted, asks for the next edit (nextEdit.ts).
        provideInlineCompletionItems: async (document, position, context, token, next) =>
          withNextEditCommand(await next(document, position, lspInlineContext(context), token)),
        // "Rewrite selection as asked…": the server's command carries the selection; the
        // instruction comes from the user, asked here before the command goes to the server.
        executeCommand: async (command, args, next) => {
          const first = args[0] as { instruction?: string } | undefined;
          if (command !== REWRITE_COMMAND || !first || first.instruction) {
            return next(command, args);
          }
          const instruction = await vscode.window.showInputBox({
            title: 'slm-lsp: rewrite selection',
            prompt: 'How should the selected code be rewritten?',
            placeHolder: 'e.g. use a dict comprehension, add type hints, make it iterative',
            ignoreFocusOut: true,
          });
          if (!instruction?.trim()) {
            return undefined;
          }
          return next(command, [{ ...first, instruction }, ...args.slice(1)]);
        },
        workspace: {
          // The section goes to the server without the client-only keys (`server`, `trace`), and
          // only when it differs from what the server has: not right after initialize, and not
          // when only `slmLsp.server.*` or `slmLsp.trace.*` changed.
          didChangeConfiguration: async () => {
            const payload = didChangePayload(vscode.workspace.getConfiguration(SECTION));
            const text = JSON.stringify(payload[SECTION]);
            if (text === lastSent) {
              return;
            }
            lastSent = text;
            await client.sendNotification(DidChangeConfigurationNotification.type, { settings: payload });
          },
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            return answers instanceof ResponseError ? answers : configurationAnswers(params.items, answers);
          },
        },
      },
    };
    // The id `slmLsp` makes the client read `slmLsp.trace.server`.
    const client = new LanguageClient(SECTION, 'slm-lsp', serverOptions, clientOptions);
    // Inline completion (`textDocument/inlineCompletion`) is a proposed feature in
    // vscode-languageclient 9.
    client.registerProposedFeatures();
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => this.status.onNotification(params));
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped) {
        this.status.setClientState('stopped');
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`The server did not start: ${message}`);
      this.status.setClientState('stopped', message);
      void vscode.window
        .showErrorMessage(
          `slm-lsp: the server did not start (${server.command}). Install it from a checkout of the slm-lsp repository (\`pipx install /path/to/slm-lsp\`) or set slmLsp.server.path.`,
          'Show Log',
          'Open Settings',
        )
        .then((choice) => {
          if (choice === 'Show Log') {
            this.log.show(true);
          } else if (choice === 'Open Settings') {
            void vscode.commands.executeCommand('workbench.action.openSettings', 'slmLsp.server');
          }
        });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    try {
      await client.dispose(2000);
    } catch (err) {
      this.log.warn(`Stopping the server: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.status.setClientState('stopped');
  }

  /** `slm-lsp` in the Python environment selected in the Python extension, if it has one. */
  private async pythonEnvironmentScript(): Promise<string | undefined> {
    const extension = vscode.extensions.getExtension<PythonApi>('ms-python.python');
    if (!extension) {
      return undefined;
    }
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
      const env = await api.environments.resolveEnvironment(
        api.environments.getActiveEnvironmentPath(resource),
      );
      const interpreter = env?.executable.uri?.fsPath;
      if (!interpreter) {
        return undefined;
      }
      const script = scriptPath(interpreter, 'slm-lsp');
      return isExecutableFile(script) ? script : undefined;
    } catch (err) {
      this.log.warn(`Asking the Python extension for its environment: ${String(err)}`);
      return undefined;
    }
  }
}
