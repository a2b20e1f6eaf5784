// The commands in the palette: toggle automatic completions, download a model, show the log,
// restart the server.
import * as vscode from 'vscode';
import { listModels, pullModel } from './pull';
import { ServerManager } from './server';
import { SECTION } from './settings';

export const COMMANDS = {
  toggleAutomatic: 'slmLsp.toggleAutomatic',
  pullModel: 'slmLsp.pullModel',
  showLog: 'slmLsp.showLog',
  restartServer: 'slmLsp.restartServer',
} as const;

export function registerCommands(
  context: vscode.ExtensionContext,
  server: ServerManager,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show(true)),
    vscode.commands.registerCommand(COMMANDS.restartServer, () => server.restart()),
    vscode.commands.registerCommand(COMMANDS.toggleAutomatic, toggleAutomatic),
    vscode.commands.registerCommand(COMMANDS.pullModel, () => pull(server, log)),
  );
}

/** Flips `slmLsp.completion.automatic` in the user settings. */
async function toggleAutomatic(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const key = 'completion.automatic';
  const automatic = !config.get<boolean>(key, true);
  await config.update(key, automatic, vscode.ConfigurationTarget.Global);
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<boolean>(key);
  const overridden = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (overridden !== undefined && overridden !== automatic) {
    void vscode.window.showWarningMessage(
      `slm-lsp: automatic inline completions are now ${automatic ? 'on' : 'off'} in your user settings, but this workspace sets them ${overridden ? 'on' : 'off'}.`,
    );
    return;
  }
  vscode.window.setStatusBarMessage(
    `slm-lsp: automatic inline completions ${automatic ? 'on' : 'off'}`,
    3000,
  );
}

/** Asks which model to download (from `slm-lsp models list --json`), then pulls it. */
async function pull(server: ServerManager, log: vscode.LogOutputChannel): Promise<void> {
  const cli = await server.cli();
  let id: string | undefined;
  try {
    const models = await listModels(cli);
    const picked = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.id, description: m.description, detail: m.detail })),
      { title: 'slm-lsp: download a model', placeHolder: 'Model to download', matchOnDescription: true, matchOnDetail: true },
    );
    id = picked?.label;
  } catch (err) {
    log.warn(`Listing the models failed: ${err instanceof Error ? err.message : String(err)}`);
    id = await vscode.window.showInputBox({
      title: 'slm-lsp: download a model',
      prompt: 'The id of the model to download (as in `slm-lsp models list`)',
      placeHolder: 'qwen2.5-coder-0.5b',
    });
    id = id?.trim();
  }
  if (!id) {
    return;
  }
  const model = id;
  log.info(`Downloading ${model}: ${[cli.command, ...cli.args, 'models', 'pull', model].join(' ')}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `slm-lsp: downloading ${model}`, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return pullModel(cli, model, (step) => progress.report(step), abort.signal);
    },
  );
  if (outcome.cancelled) {
    log.info(`Download of ${model} cancelled.`);
    return;
  }
  if (!outcome.ok) {
    log.error(`Downloading ${model} failed: ${outcome.message}`);
    const reason = outcome.message.replace(/^slm-lsp:\s*(error:\s*)?/i, '');
    const choice = await vscode.window.showErrorMessage(
      `slm-lsp: downloading ${model} failed: ${reason}`,
      'Show Log',
    );
    if (choice === 'Show Log') {
      log.show(true);
    }
    return;
  }
  log.info(outcome.message);
  void vscode.window.showInformationMessage(`slm-lsp: ${outcome.message}`);
  await server.restart();
}
