/**
 * An adaptive frame rate for floods of output (bench/README.md, terminal,
 * eleventh profile). xterm draws once per animation frame whenever output
 * changed the screen: during `cat` of a large file that is 50 to 60 full
 * redraws a second that nobody can read, and each costs the page's thread,
 * Chromium's raster and compositor threads and its GPU process some 6 to 16
 * CPU ms between them, on the cores the output itself needs (measured in
 * Chromium with xterm alone).
 *
 * While output is queued behind the chunk being written, the pacer holds
 * xterm's drawing with synchronized output (DEC mode 2026, which xterm
 * honours: rows changed meanwhile are drawn together when the mode ends)
 * and releases it once FLOOD_FRAME_MS have passed, so a flood is drawn ten
 * to fifteen times a second instead of thirty to sixty. Output that arrives while xterm's
 * queue is empty (typing, an editor, a prompt) is never held, and the hold
 * always ends when the queue empties.
 *
 * The pacer's own mode changes are written to xterm between the program's
 * chunks, never into the session's output (nothing stored or sent carries
 * them), and are told apart from a program's by their parameters
 * (`CSI ? 2026 ; 2026 h`). A parser hook decides when each is parsed,
 * which is when the screen's state is known: the pacer never ends a
 * synchronized update that the program began, and a program's own `?2026`
 * takes precedence over it.
 */
import type { IDisposable, Terminal } from '@xterm/xterm';

/** How long a flood's screen is held before it is drawn (with the frame that follows: 10–15 frames a second). */
export const FLOOD_FRAME_MS = 50;

const MODE = 2026;
/** Hold, if a frame was drawn since the last release. */
const HOLD = `\x1b[?${MODE};${MODE}h`;
/** Release, if the hold has lasted FLOOD_FRAME_MS. */
const RELEASE_DUE = `\x1b[?${MODE};${MODE}l`;
/** Release now (xterm's queue is empty). */
const RELEASE = `\x1b[?${MODE};${MODE};${MODE}l`;

type Params = (number | number[])[];
const ours = (p: Params, n: number) => p.length === n && p.every((x) => x === MODE);
const names = (p: Params) => p.some((x) => x === MODE);

export class FramePacer {
  /** The pacer holds xterm's drawing (its mode 2026 is set by the pacer). */
  private holding = false;
  private heldAt = 0;
  /** A frame was drawn since the last release: the next hold may begin. */
  private drawn = true;
  /** The program has begun a synchronized update of its own. */
  private programHolds = false;
  /** Chunks written to xterm and not yet parsed. */
  private queued = 0;
  private readonly hooks: IDisposable[];

  constructor(
    private readonly term: Terminal,
    private readonly frameMs = FLOOD_FRAME_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.hooks = [
      term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (p) => this.set(p)),
      term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (p) => this.reset(p)),
      term.onRender(() => {
        this.drawn = true;
      }),
    ];
  }

  /** Writes one chunk of the session's output; `done` runs once xterm has parsed it (as term.write's callback). */
  write(data: string | Uint8Array, done: () => void): void {
    // More output already waits to be parsed: a flood. This chunk's rows may wait for the next paced frame.
    if (this.queued > 0) this.term.write(RELEASE_DUE + HOLD);
    this.queued++;
    this.term.write(data, () => {
      this.queued--;
      if (this.queued === 0) this.term.write(RELEASE);
      done();
    });
  }

  /** Whether xterm's drawing is held by the pacer now (for tests). */
  get isHolding(): boolean {
    return this.holding;
  }

  dispose(): void {
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
    this.programHolds = false;
    this.holding = false;
    return false;
  }

  /** xterm ends a synchronized update on its own after a second without one: the pacer's hold has ended then too. */
  private sync(): void {
    if (!this.term.modes.synchronizedOutputMode) {
      this.holding = false;
      this.programHolds = false;
    }
  }
}
