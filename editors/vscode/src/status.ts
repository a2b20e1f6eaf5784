// The status bar item: what the server says in `slmLsp/status`, and whether it runs at all.
// Only type imports from `vscode`, so the presentation is unit-tested under plain Node.
import type * as vscode from 'vscode';

/** The server's custom notification. */
export const STATUS_NOTIFICATION = 'slmLsp/status';

export type State = 'loading' | 'ready' | 'busy' | 'error' | 'disabled';
/** The client's own states, shown before the server has said anything. */
export type ClientState = 'starting' | 'stopped';

export interface Status {
  state: State | ClientState;
  message: string;
  percentage: number | null;
  model: string;
}

const STATES: ReadonlySet<string> = new Set(['loading', 'ready', 'busy', 'error', 'disabled']);

/** The params of a `slmLsp/status` notification, or undefined when they are not one. */
export function parseStatus(params: unknown): Status | undefined {
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const p = params as Record<string, unknown>;
  if (typeof p.state !== 'string' || !STATES.has(p.state)) {
    return undefined;
  }
  const percentage =
    typeof p.percentage === 'number' && Number.isFinite(p.percentage)
      ? Math.max(0, Math.min(100, Math.round(p.percentage)))
      : null;
  return {
    state: p.state as State,
    message: typeof p.message === 'string' ? p.message : '',
    percentage,
    model: typeof p.model === 'string' ? p.model : '',
  };
}

export interface Presentation {
  text: string;
  tooltip: string;
  /** Shown with the error background. */
  error: boolean;
}

/** What the item shows for a status; `automatic` is `slmLsp.completion.automatic`. */
export function present(status: Status, automatic = true): Presentation {
  const name = status.model || 'slm-lsp';
  const manual = automatic ? '' : ' (manual)';
  const detail = status.message ? `\n${status.message}` : '';
  const click = '\nClick to show the log.';
  switch (status.state) {
    case 'starting':
      return { text: '$(loading~spin) slm-lsp', tooltip: `slm-lsp: starting the server${detail}${click}`, error: false };
    case 'stopped':
      return { text: '$(circle-slash) slm-lsp', tooltip: `slm-lsp: the server is not running${detail}${click}`, error: false };
    case 'loading': {
      const pct = status.percentage === null ? '' : ` ${status.percentage}%`;
      return { text: `$(loading~spin) ${name}${pct}`, tooltip: `slm-lsp: loading ${name}${detail}${click}`, error: false };
    }
    case 'ready':
      return {
        text: `$(sparkle) ${name}${manual}`,
        tooltip: `slm-lsp: ${name} is ready${automatic ? '' : '; inline completions only when asked for'}${detail}${click}`,
        error: false,
      };
    case 'busy':
      return { text: `$(sync~spin) ${name}${manual}`, tooltip: `slm-lsp: ${name} is working${detail}${click}`, error: false };
    case 'error':
      return { text: `$(error) ${name}`, tooltip: `slm-lsp: ${status.message || 'error'}${click}`, error: true };
    case 'disabled':
      return { text: `$(circle-slash) ${name}`, tooltip: `slm-lsp: disabled${detail}${click}`, error: false };
  }
}

type Item = Pick<vscode.StatusBarItem, 'text' | 'tooltip' | 'command' | 'backgroundColor' | 'show' | 'dispose'>;

/** Keeps one status bar item in step with the server's status. */
export class StatusBar {
  private status: Status = { state: 'starting', message: '', percentage: null, model: '' };
  private automatic = true;

  /** `errorBackground` is `new ThemeColor('statusBarItem.errorBackground')`. */
  constructor(
    private readonly item: Item,
    private readonly errorBackground: vscode.ThemeColor,
    showLogCommand: string,
  ) {
    item.command = showLogCommand;
    this.render();
    item.show();
  }

  /** A `slmLsp/status` notification; ignored when its params are not a status. */
  onNotification(params: unknown): void {
    const status = parseStatus(params);
    if (status) {
      this.set(status);
    }
  }

  /** A state of the client itself: starting the server, or not running it. */
  setClientState(state: ClientState, message = ''): void {
    this.set({ state, message, percentage: null, model: '' });
  }

  setAutomatic(automatic: boolean): void {
    this.automatic = automatic;
    this.render();
  }

  get current(): Status {
    return this.status;
  }

  dispose(): void {
    this.item.dispose();
  }

  private set(status: Status): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const shown = present(this.status, this.automatic);
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.backgroundColor = shown.error ? this.errorBackground : undefined;
  }
}
