// Running `slm-lsp models list --json` and `slm-lsp models pull ID` and reading their output.
// No `vscode` import, so it is unit-tested under plain Node (with a stand-in command line).
import { spawn } from 'node:child_process';
import { Command, withArgs } from './settings';

/** A model the user can pick. */
export interface ModelChoice {
  id: string;
  description?: string;
  detail?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function choiceOf(value: unknown, key?: string): ModelChoice | undefined {
  if (typeof value === 'string') {
    return value ? { id: value } : undefined;
  }
  if (!isObject(value)) {
    return undefined;
  }
  const id = typeof value.id === 'string' ? value.id : typeof value.name === 'string' ? value.name : key;
  if (!id) {
    return undefined;
  }
  const choice: ModelChoice = { id };
  const facts: string[] = [];
  if (typeof value.params === 'string' && value.params) {
    facts.push(value.params);
  }
  if (typeof value.size === 'number' && value.size > 0) {
    facts.push(`${(value.size / 1e6).toFixed(0)} MB`);
  }
  const present = [value.installed, value.downloaded, value.present, value.embedded].some(
    (flag) => flag === true,
  );
  if (present) {
    facts.push('downloaded');
  }
  if (value.recommended === true) {
    facts.push('recommended for this machine');
  }
  if (facts.length) {
    choice.description = facts.join(', ');
  }
  if (typeof value.description === 'string' && value.description) {
    choice.detail = value.description;
  }
  return choice;
}

/**
 * The models in the JSON that `slm-lsp models list --json` prints: `{"models": [...]}` with one
 * object per model (`id`, `params`, `size`, `present`, `recommended`, `description`), or
 * likewise a bare list (of objects or ids), or an object keyed by id.
 * Throws when the text is not such JSON.
 */
export function parseModelList(stdout: string): ModelChoice[] {
  const data: unknown = JSON.parse(stdout);
  let entries: Array<[unknown, string | undefined]>;
  if (Array.isArray(data)) {
    entries = data.map((v) => [v, undefined]);
  } else if (isObject(data) && Array.isArray(data.models)) {
    entries = data.models.map((v) => [v, undefined]);
  } else if (isObject(data) && isObject(data.models)) {
    entries = Object.entries(data.models).map(([k, v]) => [v, k]);
  } else if (isObject(data)) {
    entries = Object.entries(data).map(([k, v]) => [v, k]);
  } else {
    throw new Error('expected a JSON list or object of models');
  }
  const choices = entries
    .map(([value, key]) => choiceOf(value, key))
    .filter((c): c is ModelChoice => c !== undefined);
  // The recommended model first.
  const recommended = choices.findIndex((c) => c.description?.includes('recommended'));
  if (recommended > 0) {
    choices.unshift(...choices.splice(recommended, 1));
  }
  if (!choices.length) {
    throw new Error('the model list is empty');
  }
  return choices;
}

const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*%/g;

/** The last percentage in a line of progress output (`45%`, `  7.5% 12 MB/98 MB`), 0..100. */
export function parsePercentage(line: string): number | undefined {
  let last: number | undefined;
  for (const match of line.matchAll(PERCENT)) {
    last = Number(match[1]);
  }
  if (last === undefined || Number.isNaN(last)) {
    return undefined;
  }
  return Math.max(0, Math.min(100, last));
}

/**
 * Follows a pull's stderr as it streams: whole lines only (a progress bar redraws with `\r`),
 * percentages turned into the increments that `Progress.report` wants, and the last line that is
 * not a percentage kept as the message to show.
 */
export class PullProgress {
  private pending = '';
  private reported = 0;
  private message = '';

  /** Feeds a chunk; returns what to report for its whole lines (the last line as message). */
  feed(chunk: string): { increment: number; percentage: number; message?: string } | undefined {
    this.pending += chunk;
    const lines = this.pending.split(/\r\n|\r|\n/);
    this.pending = lines.pop() ?? '';
    return this.take(lines);
  }

  /** Flushes a last line that had no line end. */
  end(): { increment: number; percentage: number; message?: string } | undefined {
    const rest = this.pending;
    this.pending = '';
    return this.take([rest]);
  }

  /** The last line without a percentage. */
  lastMessage(): string {
    return this.message;
  }

  private take(lines: string[]): { increment: number; percentage: number; message?: string } | undefined {
    let percentage: number | undefined;
    let message: string | undefined;
    for (const raw of lines) {
      const line = raw.trim();
      if (!line) {
        continue;
      }
      message = line;
      const pct = parsePercentage(line);
      if (pct === undefined) {
        this.message = line;
      } else {
        percentage = pct;
      }
    }
    if (message === undefined) {
      return undefined;
    }
    if (percentage === undefined || percentage < this.reported) {
      return { increment: 0, percentage: this.reported, message };
    }
    const increment = percentage - this.reported;
    this.reported = percentage;
    return { increment, percentage, message };
  }
}

/**
 * The message to show when a pull ends: the last stderr line that is not progress (where
 * `slm-lsp models pull` says where the model is, or why it failed), else the last stdout line.
 */
export function finalMessage(stdout: string, progress: PullProgress): string {
  return progress.lastMessage() || lastLine(stdout);
}

/** How a command ended. `error` is set when it could not run at all (or timed out). */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/**
 * Runs a command to its end. `onStderr` sees stderr as it streams; aborting `signal` (or the
 * timeout) kills the process.
 */
export function run(
  cmd: Command,
  options: { timeoutMs?: number; signal?: AbortSignal; onStderr?: (chunk: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: Error | undefined;
    const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = (reason: Error) => {
      error ??= reason;
      child.kill();
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => kill(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => kill(new Error('cancelled'));
    options.signal?.addEventListener('abort', onAbort);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    const done = (code: number | null) => {
      if (timer) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener('abort', onAbort);
      resolve(error ? { code, stdout, stderr, error } : { code, stdout, stderr });
    };
    child.on('error', (err) => {
      error ??= err;
      done(null);
    });
    child.on('close', (code) => done(code));
  });
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** The models `slm-lsp models list --json` knows; throws when it fails. */
export async function listModels(cli: Command, timeoutMs = 30_000): Promise<ModelChoice[]> {
  const result = await run(withArgs(cli, 'models', 'list', '--json'), { timeoutMs });
  if (result.error) {
    throw result.error;
  }
  if (result.code !== 0) {
    throw new Error(lastLine(result.stderr) || `exit code ${result.code}`);
  }
  return parseModelList(result.stdout);
}

export interface PullOutcome {
  ok: boolean;
  cancelled: boolean;
  /** The command's final message, or why it failed. */
  message: string;
}

/**
 * Runs `slm-lsp models pull ID`, reporting its progress (read from `NN%` on stderr) as it goes.
 */
export async function pullModel(
  cli: Command,
  id: string,
  report: (step: { increment: number; message?: string }) => void,
  signal?: AbortSignal,
): Promise<PullOutcome> {
  const progress = new PullProgress();
  const forward = (step: { increment: number; message?: string } | undefined) => {
    if (step) {
      report(step.message === undefined ? { increment: step.increment } : { increment: step.increment, message: step.message });
    }
  };
  const result = await run(withArgs(cli, 'models', 'pull', id), {
    signal,
    onStderr: (chunk) => forward(progress.feed(chunk)),
  });
  forward(progress.end());
  const cancelled = signal?.aborted ?? false;
  if (result.error) {
    return { ok: false, cancelled, message: result.error.message };
  }
  const message = finalMessage(result.stdout, progress);
  if (result.code !== 0) {
    return { ok: false, cancelled, message: message || `exit code ${result.code}` };
  }
  return { ok: true, cancelled: false, message: message || `Downloaded ${id}.` };
}
