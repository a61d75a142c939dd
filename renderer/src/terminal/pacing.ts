/**
 * An adaptive frame rate for floods of output (bench/README.md, terminal,
 * eleventh profile). xterm draws once per animation frame whenever output
 * changed the screen: during `cat` of a large file that is 30 to 60 full
 * redraws a second that nobody can read, and each costs the page's thread,
 * Chromium's raster and compositor threads and its GPU process some 6 to 16
 * CPU ms between them, on the cores the output itself needs (measured in
 * Chromium with xterm alone).
 *
 * While output is queued behind the chunk being written, the pacer holds
 * xterm's drawing with synchronized output (DEC mode 2026, which xterm
 * honours: rows changed meanwhile are drawn together when the mode ends)
 * and releases it once FLOOD_FRAME_MS have passed, so a flood is drawn ten
 * to fifteen times a second. Output that arrives while xterm's queue is
 * empty (typing, an editor, a prompt) is never held, and the hold always
 * ends when the queue empties.
 *
 * The pacer's own mode changes are written to xterm between the program's
 * chunks, never into the session's output (nothing stored or sent carries
 * them), and only where the output so far ends outside any escape sequence
 * (a chunk may end inside one: an ESC there would cut the program's
 * sequence short; see `afterOutput`). They are told apart from a program's
 * by their parameters (`CSI ? 2026 ; 2026 h`). A parser hook decides when
 * each is parsed, which is when the screen's state is known: the pacer
 * never ends a synchronized update that the program began, and a program's
 * own `?2026` takes precedence over it.
 *
 * xterm is given one chunk at a time; the rest waits here, so that when the
 * screen falls behind a flood of plain text the pacer can fast-forward past
 * what would only scroll out of the buffer (fastforward.ts).
 */
import type { IDisposable, Terminal } from '@xterm/xterm';
import { ESC, attributesAfter, cutAt, endsInsideCharacter, planFastForward, type QueuedPiece, sgrRest } from './fastforward';

/** How long a flood's screen is held before it is drawn (with the frame that follows: 10–15 frames a second). */
export const FLOOD_FRAME_MS = 50;

const MODE = 2026;
/** Hold, if a frame was drawn since the last release. */
const HOLD = `\x1b[?${MODE};${MODE}h`;
/** Release, if the hold has lasted FLOOD_FRAME_MS. */
const RELEASE_DUE = `\x1b[?${MODE};${MODE}l`;
/** Release now (xterm's queue is empty). */
const RELEASE = `\x1b[?${MODE};${MODE};${MODE}l`;

/**
 * Where xterm's parser is after a piece of output (its VT500 state machine,
 * EscapeSequenceParser.ts, reduced to what matters here): in the ground
 * state, where a sequence of the pacer's own can go; inside an escape,
 * control or OSC sequence, or inside a DCS, APC, SOS or PM string; or not
 * known (an unusual byte inside a sequence): not ground either.
 */
export type ParserState = 'ground' | 'escape' | 'intermediate' | 'csi' | 'osc' | 'string' | 'unknown';

const BEL = 0x07;

/** The state a C1 control (0x80–0x9F) puts the parser in from any state. */
function c1(c: number): ParserState {
  if (c === 0x9b) return 'csi';
  if (c === 0x9d) return 'osc';
  if (c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) return 'string';
  return 'ground';
}

/** One codepoint (not ESC, not a C1 control) from `state`. */
function step(state: ParserState, c: number): ParserState {
  const executable = c < 0x20 || c === 0x7f;
  switch (state) {
    case 'escape':
      if (executable) return state;
      if (c >= 0x20 && c <= 0x2f) return 'intermediate';
      if (c === 0x5b) return 'csi';
      if (c === 0x5d) return 'osc';
      if (c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) return 'string';
      return c <= 0x7e ? 'ground' : 'unknown';
    case 'intermediate':
      if (executable || (c >= 0x20 && c <= 0x2f)) return state;
      return c <= 0x7e ? 'ground' : 'unknown';
    case 'csi':
      if (executable || (c >= 0x20 && c <= 0x3f)) return state;
      return c <= 0x7e ? 'ground' : 'unknown';
    case 'osc':
      return c === BEL ? 'ground' : state;
    default:
      return state;
  }
}

const C1 = /[\x80-\x9f]/;

/**
 * The last ESC or C1 control in `data` (each sets the parser's state from
 * any state), as the state it sets and where the output after it begins;
 * null if there is none. Native searches: a flood of plain text costs two
 * passes (about 0.3 ms per 500 KB here). CAN and SUB, which end a sequence,
 * are not looked for: without them a sequence may be taken as still open,
 * which only costs a frame that is not held.
 */
function lastSetter(data: string | Uint8Array): { state: ParserState; from: number } | null {
  let esc: number;
  let control = -1;
  let code = 0;
  if (typeof data === 'string') {
    esc = data.lastIndexOf('\x1b');
    if (C1.test(data))
      for (let i = data.length - 1; i > esc; i--) {
        const c = data.charCodeAt(i);
        if (c >= 0x80 && c <= 0x9f) {
          control = i;
          code = c;
          break;
        }
      }
  } else {
    esc = data.lastIndexOf(ESC);
    // In UTF-8 a C1 control is 0xC2 and then 0x80–0x9F; 0xC2 also leads other characters (°, ©, a no-break space).
    for (let i = data.lastIndexOf(0xc2); i > esc; i = i > 0 ? data.lastIndexOf(0xc2, i - 1) : -1) {
      const next = data[i + 1];
      if (next !== undefined && next >= 0x80 && next <= 0x9f) {
        control = i + 1;
        code = next;
        break;
      }
    }
  }
  if (control > esc) return { state: c1(code), from: control + 1 };
  return esc === -1 ? null : { state: 'escape', from: esc + 1 };
}

/**
 * The parser's state after `data`, from `before`: decided by the output
 * after the last ESC or C1 control, or by all of it from `before` if there
 * is none. Text is read as codepoints, bytes as UTF-8.
 */
export function afterOutput(before: ParserState, data: string | Uint8Array): ParserState {
  const setter = lastSetter(data);
  let state = setter?.state ?? before;
  const from = setter?.from ?? 0;
  if (state === 'ground' || state === 'string' || state === 'unknown') return state;
  if (state === 'osc') {
    const bel = typeof data === 'string' ? data.indexOf('\x07', from) : data.indexOf(BEL, from);
    return bel === -1 ? state : 'ground';
  }
  // An escape or control sequence: it ends within a few characters.
  for (let i = from; i < data.length && state !== 'ground' && state !== 'unknown'; i++) {
    const c = typeof data === 'string' ? data.charCodeAt(i) : data[i]!;
    // A character past ASCII inside one: xterm's error path, not followed here.
    state = c >= 0x80 ? 'unknown' : step(state, c);
  }
  return state;
}

type Params = (number | number[])[];
const ours = (p: Params, n: number) => p.length === n && p.every((x) => x === MODE);
const names = (p: Params) => p.some((x) => x === MODE);

/** A piece of the session's output waiting for xterm, and what to call once it is parsed. */
interface Piece extends QueuedPiece {
  done: () => void;
}

/** DECSTBM's parameters (CSI Pt ; Pb r; 0 or none: the default) leave the scrolling region the whole screen. */
function fullHeight(p: Params, rows: number): boolean {
  const [top = 0, bottom = 0] = p;
  return p.length <= 2 && typeof top === 'number' && typeof bottom === 'number' && top <= 1 && (bottom === 0 || bottom >= rows);
}

/**
 * The tallest screen a fast-forward allows for: the lines it keeps push every older row out of a buffer of up to this
 * many rows (and the scrollback), should the screen grow while they are written (a window maximised during `cat`).
 */
const MAX_ROWS = 500;

/** Calls a chunk's `done`; one that throws is reported (as an uncaught error) without stopping xterm's writing. */
function settle(done: () => void): void {
  try {
    done();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

export class FramePacer {
  /** The pacer holds xterm's drawing (its mode 2026 is set by the pacer). */
  private holding = false;
  private heldAt = 0;
  /** A frame was drawn since the last release: the next hold may begin. */
  private drawn = true;
  /** The program has begun a synchronized update of its own. */
  private programHolds = false;
  /** Output waiting behind the chunk xterm is parsing (xterm is given one chunk at a time). */
  private readonly queue: Piece[] = [];
  /** A chunk is written to xterm and not yet parsed. */
  private parsing = false;
  /** Where xterm's parser will be once everything written so far is parsed. */
  private parser: ParserState = 'ground';
  /** The output written so far ends inside a UTF-8 character (which the next piece's first bytes finish). */
  private midCharacter = false;
  /** A program has set scrolling margins (DECSTBM) on the normal screen that are not the whole screen, and not reset them since. */
  private margins = false;
  private disposed = false;
  /** Fast-forward through floods of plain text (see fastforward.ts); off only to measure or test without it. */
  fastForward = true;
  /** Characters of output fast-forwarded so far (never handed to xterm; none of them would have stayed in the buffer). */
  fastForwarded = 0;
  private readonly hooks: IDisposable[];

  constructor(
    private readonly term: Terminal,
    private readonly frameMs = FLOOD_FRAME_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.hooks = [
      term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (p) => this.set(p)),
      term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (p) => this.reset(p)),
      // Only watched: xterm applies them as always, to the active buffer's margins (each buffer has its own).
      term.parser.registerCsiHandler({ final: 'r' }, (p) => {
        if (term.buffer.active.type === 'normal') this.margins = !fullHeight(p, term.rows);
        return false;
      }),
      term.parser.registerCsiHandler({ intermediates: '!', final: 'p' }, () => {
        if (term.buffer.active.type === 'normal') this.margins = false;
        return false;
      }),
      term.parser.registerEscHandler({ final: 'c' }, () => {
        this.margins = false;
        return false;
      }),
      term.onRender(() => {
        this.drawn = true;
      }),
    ];
  }

  /** Writes one chunk of the session's output; `done` runs once xterm has parsed it (or fast-forwarded past it), in order. */
  write(data: string | Uint8Array, done: () => void): void {
    if (this.disposed) return;
    this.queue.push({ data, done });
    if (!this.parsing) this.next(false);
  }

  /** Hands xterm the next chunk; `flood`: it waited behind another one. */
  private next(flood: boolean): void {
    // From here on a `done` that writes more output only queues it.
    this.parsing = true;
    if (flood) {
      if (this.fastForward) this.skip();
      // A flood: this chunk's rows may wait for the next paced frame.
      if (this.parser === 'ground') this.term.write(RELEASE_DUE + HOLD);
    }
    const piece = this.queue.shift()!;
    const before = this.parser;
    this.parser = afterOutput(before, piece.data);
    const wasMid = this.midCharacter;
    this.midCharacter = endsInsideCharacter(piece.data);
    try {
      this.term.write(piece.data, () => {
        settle(piece.done);
        this.parsing = false;
        if (this.disposed) return;
        if (this.queue.length > 0) this.next(true);
        // The last chunk is parsed: nothing held any longer (unless it ended inside a sequence; xterm then ends the
        // hold itself within a second, or the pacer with the next chunk).
        else if (this.parser === 'ground') this.term.write(RELEASE);
      });
    } catch (e) {
      this.parsing = false;
      this.parser = before;
      this.midCharacter = wasMid;
      throw e;
    }
  }

  /**
   * Fast-forward: drops the queued plain text that could not stay in the buffer, writing in its place the attributes
   * it leaves and a line end. Only where the screen follows the output and nothing else could depend on it.
   */
  private skip(): void {
    const term = this.term;
    const buffer = term.buffer.active;
    if (this.midCharacter || this.margins || buffer.type !== 'normal' || buffer.viewportY !== buffer.baseY || term.hasSelection()) return;
    // The output so far may end inside an SGR sequence that the queue's first characters finish: they are written as they are.
    let rest = '';
    if (this.parser === 'escape' || this.parser === 'csi') rest = sgrRest(this.queue[0]!.data, this.parser) ?? '';
    if (this.parser !== 'ground' && !rest) return;
    // The kept lines push every row written before them out of the buffer, even if the screen grows meanwhile.
    const cut = planFastForward(this.queue, (term.options.scrollback ?? 0) + 2 * Math.max(term.rows, MAX_ROWS));
    if (!cut) return;
    const dropped = this.queue.splice(0, cut.pieces);
    const head = this.queue[0]!;
    const text = dropped.map((p) => p.data);
    const [skipped, kept] = cutAt(head.data, cut.chars);
    text.push(skipped);
    head.data = kept;
    head.scan = undefined;
    for (const t of text) this.fastForwarded += t.length;
    this.fastForwarded -= rest.length;
    // Read by the terminal bench (bench/terminal.ts).
    term.element?.setAttribute('data-fast-forwarded', String(this.fastForwarded));
    term.write(rest + attributesAfter(text) + '\r\n');
    this.parser = 'ground';
    for (const p of dropped) settle(p.done);
  }

  /** Whether xterm's drawing is held by the pacer now (for tests). */
  get isHolding(): boolean {
    return this.holding;
  }

  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    for (const h of this.hooks) h.dispose();
  }

  /** `CSI ? … h`: true when the sequence is the pacer's and is dropped here. */
  private set(p: Params): boolean {
    // Every other private mode (a cursor shown, an alternate screen) goes on at once.
    if (!names(p)) return false;
    this.sync();
    if (ours(p, 2)) {
      if (this.holding || this.programHolds || !this.drawn) return true;
      this.holding = true;
      this.heldAt = this.now();
      return false;
    }
    // The program's own synchronized update: it ends it, not the pacer.
    this.programHolds = true;
    this.holding = false;
    return false;
  }

  /** `CSI ? … l`: true when the sequence is the pacer's and is dropped here. */
  private reset(p: Params): boolean {
    if (!names(p)) return false;
    this.sync();
    const due = ours(p, 2);
    if (due || ours(p, 3)) {
      if (!this.holding || (due && this.now() - this.heldAt < this.frameMs)) return true;
      this.holding = false;
      this.drawn = false;
      return false;
    }
    // The program's update ends: its frame is drawn before the pacer holds again.
    this.programHolds = false;
    this.holding = false;
    this.drawn = false;
    return false;
  }

  /** xterm ends a synchronized update on its own after a second without one: the pacer's hold has ended then too. */
  private sync(): void {
    if (!this.term.modes.synchronizedOutputMode) {
      if (this.holding) this.drawn = false;
      this.holding = false;
      this.programHolds = false;
    }
  }
}
