// Wiring: the log, the status bar, the server, the commands and next edits; restarts on
// `slmLsp.server.*`.
import * as vscode from 'vscode';
import { COMMANDS, registerCommands } from './commands';
import { NextEditController } from './nextEdit';
import { DOCUMENT_SELECTOR, ServerManager } from './server';
import { SECTION } from './settings';
import { StatusBar } from './status';

const RESTART_DELAY_MS = 1000;

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  // One channel for the server's output and the protocol trace (`slmLsp.trace.server`).
  const log = vscode.window.createOutputChannel('slm-lsp', { log: true });
  const status = new StatusBar(
    vscode.window.createStatusBarItem('slmLsp.status', vscode.StatusBarAlignment.Right, 100),
    new vscode.ThemeColor('statusBarItem.errorBackground'),
    COMMANDS.showLog,
  );
  status.setAutomatic(vscode.workspace.getConfiguration(SECTION).get<boolean>('completion.automatic', true));
  server = new ServerManager(log, status);
  context.subscriptions.push(log, status, server);
  registerCommands(context, server, log);
  const manager = server;
  const nextEdit = new NextEditController({
    ask: (document, position) => manager.nextEdit(document, position),
    owns: (document) => vscode.languages.match(DOCUMENT_SELECTOR, document) > 0,
    enabled: () => vscode.workspace.getConfiguration(SECTION).get<boolean>('nextEdit.enable', true),
    log,
  });
  nextEdit.register(context);

  let restartTimer: NodeJS.Timeout | undefined;
  context.subscriptions.push(
    { dispose: () => clearTimeout(restartTimer) },
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.completion.automatic`)) {
        status.setAutomatic(vscode.workspace.getConfiguration(SECTION).get<boolean>('completion.automatic', true));
      }
      if (event.affectsConfiguration(`${SECTION}.nextEdit.enable`)) {
        nextEdit.dismiss();
      }
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        clearTimeout(restartTimer);
        restartTimer = setTimeout(() => {
          log.info('slmLsp.server changed: restarting the server.');
          void server?.restart();
        }, RESTART_DELAY_MS);
      }
    }),
  );

  // Not awaited: activation does not wait for the server; failures are shown by the manager.
  void server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
