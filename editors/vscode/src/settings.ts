// Reading the `slmLsp` settings and deciding how to run the server. Pure: no `vscode` import, so
// it is unit-tested under plain Node.
import * as path from 'node:path';

/** The settings section, as the server knows it on the wire. */
export const SECTION = 'slmLsp';

/** Keys of the section that configure this extension only; the server never sees them. */
export const CLIENT_ONLY_KEYS: readonly string[] = ['server', 'trace'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A plain JSON copy of a settings section. A `WorkspaceConfiguration` carries its methods
 * (`get`, `has`, `inspect`, `update`) beside the values; those are dropped.
 */
export function plainSection(section: unknown): JsonObject {
  if (!isObject(section)) {
    return {};
  }
  const copy: unknown = JSON.parse(JSON.stringify(section));
  return isObject(copy) ? (copy as JsonObject) : {};
}

/**
 * The settings the server gets, as `initializationOptions` and inside `{"slmLsp": ...}` on
 * `workspace/didChangeConfiguration`: the whole section minus the client-only keys.
 */
export function serverSettings(section: unknown): JsonObject {
  const plain = plainSection(section);
  for (const key of CLIENT_ONLY_KEYS) {
    delete plain[key];
  }
  return plain;
}

/** The `workspace/didChangeConfiguration` payload for a section. */
export function didChangePayload(section: unknown): { [SECTION]: JsonObject } {
  return { [SECTION]: serverSettings(section) };
}

/**
 * Strips the client-only keys from the answers to a `workspace/configuration` request, for the
 * items that ask for the whole `slmLsp` section (or for everything).
 */
export function configurationAnswers(
  items: ReadonlyArray<{ section?: string }>,
  answers: unknown[],
): unknown[] {
  return answers.map((answer, i) => {
    const section = items[i]?.section;
    if (section === SECTION) {
      return serverSettings(answer);
    }
    if ((section === undefined || section === '') && isObject(answer) && SECTION in answer) {
      return { ...answer, [SECTION]: serverSettings(answer[SECTION]) };
    }
    return answer;
  });
}

/** How the user asked the server to be started (`slmLsp.server.*`). */
export interface LaunchSettings {
  path: string;
  args: string[];
}

export function launchSettings(section: unknown): LaunchSettings {
  const server = isObject(section) && isObject(section.server) ? section.server : {};
  const configured = typeof server.path === 'string' ? server.path.trim() : '';
  const args = Array.isArray(server.args)
    ? server.args.filter((a): a is string => typeof a === 'string')
    : [];
  return { path: configured, args };
}

/** A program and its arguments. */
export interface Command {
  command: string;
  args: string[];
}

/** What was found on this machine, in the order the extension looks. */
export interface Candidates {
  /** `slmLsp.server.path`, trimmed; empty when unset. */
  configuredPath: string;
  /** `slm-lsp` found on PATH. */
  onPath?: string;
  /** `slm-lsp` found in the Python environment selected in the Python extension. */
  inEnvironment?: string;
  /** The interpreter for the last resort, `python -m slm_lsp`. */
  python: string;
}

/**
 * How to run the `slm-lsp` command line: the setting, else `slm-lsp` on PATH, else the one in
 * the selected Python environment, else `python3 -m slm_lsp`. The server command and the
 * `models` commands append their own arguments.
 */
export function resolveCli(found: Candidates): Command {
  if (found.configuredPath) {
    return { command: found.configuredPath, args: [] };
  }
  if (found.onPath) {
    return { command: found.onPath, args: [] };
  }
  if (found.inEnvironment) {
    return { command: found.inEnvironment, args: [] };
  }
  return { command: found.python, args: ['-m', 'slm_lsp'] };
}

/** The base command with more arguments. */
export function withArgs(cli: Command, ...args: string[]): Command {
  return { command: cli.command, args: [...cli.args, ...args] };
}

/** The executable's file name on a platform. */
export function executableName(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/** Finds `name` in a PATH string; `isFile` says whether a candidate path exists. */
export function findOnPath(
  name: string,
  pathEnv: string | undefined,
  isFile: (candidate: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const file = executableName(name, platform);
  for (const dir of (pathEnv ?? '').split(p.delimiter)) {
    if (!dir) {
      continue;
    }
    const candidate = p.join(dir, file);
    if (isFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Where a Python environment keeps its console scripts, from its interpreter's path. */
export function scriptPath(
  interpreter: string,
  name: string,
  platform: NodeJS.Platform = process.platform,
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const dir = p.dirname(interpreter);
  // On Windows, a venv has python.exe in Scripts/, a base install has it beside Scripts/.
  const scripts =
    platform === 'win32' && p.basename(dir).toLowerCase() !== 'scripts' ? p.join(dir, 'Scripts') : dir;
  return p.join(scripts, executableName(name, platform));
}
