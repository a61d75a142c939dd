/**
 * Fast-forward through a flood of plain text (docs/terminal.md,
 * "Fast-forward"). When the screen falls behind a flood, the output queued
 * for it can hold far more lines than the screen and its scrollback keep:
 * everything but the last `scrollback + rows` lines would be parsed only to
 * be scrolled out and dropped again. That part is not handed to xterm when
 * it is provably without effect on what stays:
 *
 * - it is plain: printable characters, CR, LF, TAB and SGR sequences
 *   (`CSI Pm m`, colours and styles) only. Nothing in it moves the cursor
 *   other than along the lines, changes a mode, the margins, the title or
 *   the screen, rings the bell or asks for a reply;
 * - it ends with CR LF, and the plain text after it holds at least `keep`
 *   more line feeds (`scrollback + 2 × rows`, for the tallest screen
 *   allowed for), so every row it wrote would have left the buffer before
 *   that text ends (`rows - 1` line feeds reach the bottom row from
 *   anywhere, each one after that drops the oldest row);
 * - what it leaves behind besides rows is the text attributes (its SGR
 *   sequences, which depend on nothing else) and the cursor at the start of
 *   a line: the pacer writes those SGR sequences and a CR LF in its place.
 *
 * The screen's own conditions (the normal buffer, full-height margins, the
 * view following the output, no selection, the parser between sequences)
 * are the pacer's to check; this module only reads text.
 */

/* eslint-disable no-control-regex -- the patterns below are about control characters and sequences (ECMA-48). */

/** How much of a piece is plain text (see above), and how many line feeds that part holds. */
export interface PlainScan {
  /** Where the first character (or byte) that is not plain text is: the piece's length if there is none. */
  plain: number;
  lines: number;
}

/** Output as the screen is given it: text, or UTF-8 bytes (xterm decodes them, also across pieces). */
export type Output = string | Uint8Array;

const LF = 0x0a;
const CR = 0x0d;
export const ESC = 0x1b;

/** Every C0 control but TAB, LF and CR (ESC is looked at again), DEL, and the C1 controls. */
const NOT_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
/** Select Graphic Rendition (ECMA-48 §8.3.117) with plain parameters: no private prefix, no intermediates. */
const SGR_AT = /\x1b\[[0-9;:]*m/y;
const SGR_ALL = /\x1b\[[0-9;:]*m/g;
/** The start of an SGR sequence, cut by the end of a piece. */
const SGR_OPEN = /\x1b(?:\[[0-9;:]*)?$/;
/** A full reset of the attributes: what came before it no longer counts. */
const isReset = (sgr: string) => sgr === '\x1b[m' || sgr === '\x1b[0m';

const codeAt = (d: Output, i: number) => (typeof d === 'string' ? d.charCodeAt(i) : d[i]!);
const slice = (d: Output, from: number, to?: number): Output => (typeof d === 'string' ? d.slice(from, to) : d.subarray(from, to));
const lastLf = (d: Output, from: number) => (typeof d === 'string' ? d.lastIndexOf('\n', from) : from < 0 ? -1 : d.lastIndexOf(LF, from));
/** ASCII and Latin-1 text of a few bytes, for matching escape sequences (which are ASCII). */
const latin1 = (d: Output, from = 0, to = d.length) => (typeof d === 'string' ? d.slice(from, to) : String.fromCharCode(...d.subarray(from, to)));
const decoder = new TextDecoder('latin1');

/** The end of the SGR sequence at `at` (an ESC), or -1. */
function sgrEnd(d: Output, at: number): number {
  if (typeof d === 'string') {
    SGR_AT.lastIndex = at;
    return SGR_AT.test(d) ? SGR_AT.lastIndex : -1;
  }
  if (d[at + 1] !== 0x5b) return -1;
  for (let i = at + 2; i < d.length; i++) {
    const b = d[i]!;
    if (b === 0x6d) return i + 1;
    if (!((b >= 0x30 && b <= 0x3b) || b === 0x3a)) return -1;
  }
  return -1;
}

export function scanPlain(data: Output): PlainScan {
  let plain = data.length;
  if (typeof data === 'string') {
    NOT_TEXT.lastIndex = 0;
    for (let m = NOT_TEXT.exec(data); m; m = NOT_TEXT.exec(data)) {
      const end = data.charCodeAt(m.index) === ESC ? sgrEnd(data, m.index) : -1;
      if (end === -1) {
        plain = m.index;
        break;
      }
      NOT_TEXT.lastIndex = end;
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if ((b >= 0x20 && b < 0x7f) || b === LF || b === CR || b === 0x09) continue;
      // UTF-8 past ASCII, but not a C1 control (0xC2 0x80–0x9F), nor a 0xC2 whose second byte is in the next piece.
      if (b >= 0x80 && (b !== 0xc2 || (i + 1 < data.length && data[i + 1]! > 0x9f))) continue;
      const end = b === ESC ? sgrEnd(data, i) : -1;
      if (end === -1) {
        plain = i;
        break;
      }
      i = end - 1;
    }
  }
  let lines = 0;
  if (typeof data === 'string') for (let i = data.indexOf('\n'); i !== -1 && i < plain; i = data.indexOf('\n', i + 1)) lines++;
  else for (let i = data.indexOf(LF); i !== -1 && i < plain; i = data.indexOf(LF, i + 1)) lines++;
  return { plain, lines };
}

/** The piece's plain text ends (at `plain`) in an SGR sequence that the next piece finishes. */
function continuesSgr(data: Output, plain: number, next: QueuedPiece | undefined): boolean {
  if (next === undefined || data.length - plain > 64) return false;
  const open = latin1(data, plain);
  if (!SGR_OPEN.test(open)) return false;
  SGR_AT.lastIndex = 0;
  return SGR_AT.test(open + latin1(next.data, 0, Math.min(64, next.data.length)));
}

/**
 * The rest of an SGR sequence that the output before `data` left open (the
 * parser in an escape or control sequence): `data`'s first characters, if
 * they finish one as SGR parameters and an `m`. Written as they are, they
 * finish whatever sequence it was, exactly as parsing would.
 */
export function sgrRest(data: Output, state: 'escape' | 'csi'): string | null {
  const m = (state === 'escape' ? /^\[[0-9;:]*m/ : /^[0-9;:]*m/).exec(latin1(data, 0, Math.min(64, data.length)));
  return m ? m[0] : null;
}

/** UTF-8 bytes that end inside a character: the next piece's first bytes finish it. */
export function endsInsideCharacter(data: Output): boolean {
  if (typeof data === 'string') return false;
  for (let back = 1; back <= Math.min(4, data.length); back++) {
    const b = data[data.length - back]!;
    if (b < 0x80) return false;
    if (b >= 0xc0) return back < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2);
  }
  return false;
}

/** A piece of output waiting for the screen, with its scan once made. */
export interface QueuedPiece {
  data: Output;
  scan?: PlainScan;
}

/** Where to cut: the first `pieces` pieces whole, and `chars` characters (or bytes) of the next. */
export interface FastForwardCut {
  pieces: number;
  chars: number;
}

/**
 * The latest cut in `queue` (output in order) after which `keep` line feeds of
 * plain text follow, with plain text before it; null when there is none.
 * Pieces are scanned once (the scan is kept on the piece).
 */
export function planFastForward(queue: QueuedPiece[], keep: number): FastForwardCut | null {
  let run = 0;
  let lines = 0;
  for (const piece of queue) {
    piece.scan ??= scanPlain(piece.data);
    run++;
    lines += piece.scan.lines;
    if (piece.scan.plain < piece.data.length && !continuesSgr(piece.data, piece.scan.plain, queue[run])) break;
  }
  if (lines <= keep) return null;
  // The (keep + 1)th line feed from the end of the plain run, or the first one before it that follows a CR: the cut
  // is after it. Every piece of the run but the last is plain throughout, or ends in an SGR the next one finishes.
  let after = 0;
  let j = run - 1;
  for (; j >= 0 && after + queue[j]!.scan!.lines <= keep; j--) after += queue[j]!.scan!.lines;
  if (j < 0) return null;
  let data = queue[j]!.data;
  let lf = queue[j]!.scan!.plain;
  for (let n = keep + 1 - after; n > 0; n--) lf = lastLf(data, lf - 1);
  for (;;) {
    while (lf > 0 && codeAt(data, lf - 1) !== CR) lf = lastLf(data, lf - 1);
    if (lf > 0) return { pieces: j, chars: lf + 1 };
    // None in this piece (a CR LF split between two pieces does not count): the latest in an earlier one.
    if (--j < 0) return null;
    data = queue[j]!.data;
    lf = lastLf(data, data.length - 1);
  }
}

/** Splits `data` at `at`. */
export function cutAt(data: Output, at: number): [Output, Output] {
  return [slice(data, 0, at), slice(data, at)];
}

/**
 * The SGR sequences that give the attributes that `text` (in order; an SGR
 * may be split between two of its pieces) leaves, from the last full reset
 * on: written in place of the text, they leave xterm's attributes as parsing
 * all of it would.
 */
export function attributesAfter(text: Output[]): string {
  let kept: string[] = [];
  let open = '';
  for (const piece of text) {
    if (!open && (typeof piece === 'string' ? piece.indexOf('\x1b') : piece.indexOf(ESC)) === -1) continue;
    const t = open + (typeof piece === 'string' ? piece : decoder.decode(piece));
    for (const [sgr] of t.matchAll(SGR_ALL)) {
      if (isReset(sgr)) kept = [sgr];
      else kept.push(sgr);
    }
    open = SGR_OPEN.exec(t.slice(-64))?.[0] ?? '';
  }
  return kept.join('');
}
