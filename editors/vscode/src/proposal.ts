// The server's next edit proposal (`slmLsp/nextEdit`, docs/next-edit.md) as plain data: reading
// the answer, where it is relative to the cursor, what Tab does, and the text the editor shows.
// Pure: no `vscode` import, so it is unit-tested under plain Node.

/** The LSP request that asks for the next edit. */
export const NEXT_EDIT_REQUEST = 'slmLsp/nextEdit';

export interface Pos {
  line: number;
  character: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

/** One proposed edit: in document `uri` at `version`, `range` becomes `newText`. */
export interface Proposal {
  uri: string;
  version: number;
  range: Span;
  newText: string;
  label: string;
  source: string;
  reason: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function readPos(value: unknown): Pos | undefined {
  if (!isObject(value) || !isCount(value.line) || !isCount(value.character)) {
    return undefined;
  }
  return { line: value.line, character: value.character };
}

/** 1 when a is after b, -1 when before, 0 when the same place. */
export function comparePos(a: Pos, b: Pos): number {
  if (a.line !== b.line) {
    return a.line > b.line ? 1 : -1;
  }
  return a.character === b.character ? 0 : a.character > b.character ? 1 : -1;
}

/**
 * The proposal in a `slmLsp/nextEdit` result, or undefined when there is none (`null`) or the
 * result is not one (a wrong shape is dropped, never shown).
 */
export function readProposal(result: unknown): Proposal | undefined {
  if (!isObject(result) || !isObject(result.range)) {
    return undefined;
  }
  const start = readPos(result.range.start);
  const end = readPos(result.range.end);
  const { uri, version, newText, label } = result;
  if (!start || !end || comparePos(start, end) > 0) {
    return undefined;
  }
  if (typeof uri !== 'string' || !uri || typeof version !== 'number' || typeof newText !== 'string') {
    return undefined;
  }
  return {
    uri,
    version,
    range: { start, end },
    newText,
    label: typeof label === 'string' && label.trim() ? label.trim() : 'Next edit',
    source: typeof result.source === 'string' ? result.source : '',
    reason: typeof result.reason === 'string' ? result.reason : '',
  };
}

/** Whether the cursor in document `uri` is at the proposal: inside its range or at an end. */
export function isAtCursor(proposal: Proposal, uri: string, cursor: Pos): boolean {
  return (
    proposal.uri === uri &&
    comparePos(cursor, proposal.range.start) >= 0 &&
    comparePos(cursor, proposal.range.end) <= 0
  );
}

/**
 * What Tab does while a proposal is shown: go to it when the cursor is elsewhere, make it when
 * the cursor is there (after the first Tab, or when the user went there).
 */
export function tabAction(proposal: Proposal, uri: string, cursor: Pos): 'jump' | 'accept' {
  return isAtCursor(proposal, uri, cursor) ? 'accept' : 'jump';
}

const HINT_MAX = 80;

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The text shown at the end of the proposal's line. */
export function hintText(proposal: Proposal, action: 'jump' | 'accept'): string {
  const key = action === 'jump' ? '⇥ Tab' : '⇥ Tab to accept';
  return `${key}: ${shorten(proposal.label, HINT_MAX)}`;
}

/**
 * The replacement as shown beside the range: its first line, shortened, with `…` when more
 * follows; `⏎` for a replacement that is only line breaks; `∅` for a deletion.
 */
export function replacementPreview(newText: string, max = 40): string {
  if (newText === '') {
    return '∅';
  }
  const lines = newText.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '') ?? '';
  if (!first) {
    return '⏎';
  }
  const more = lines.length > 1 ? '…' : '';
  return shorten(first.trim(), max) + (more && !first.endsWith('…') ? more : '');
}

/** Where the cursor goes after the proposal is made: the end of the new text. */
export function endAfterEdit(proposal: Proposal): Pos {
  const lines = proposal.newText.split(/\r\n|\n/);
  const start = proposal.range.start;
  if (lines.length === 1) {
    return { line: start.line, character: start.character + lines[0].length };
  }
  return { line: start.line + lines.length - 1, character: lines[lines.length - 1].length };
}
