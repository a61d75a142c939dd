/**
 * One session's output on its way out of the native process: small pieces
 * are gathered into chunks (fewer messages between processes), and the
 * source is paused while too much is unacknowledged, so that a flood of
 * output (`cat` of a large file, `yes`) never outruns what the renderer can
 * draw and never freezes the window.
 */
import { FLOW } from './protocol';

/** How long small pieces of output wait for more before they are sent. */
const GATHER_MS = 4;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

export class SessionOutput {
  private pending = '';
  private scheduled = false;
  private unacked = 0;
  private paused = false;

  constructor(
    private readonly send: (chunk: string) => void,
    private readonly source: { pause(): void; resume(): void },
    private readonly limits: { chunkChars: number; highWater: number; lowWater: number } = FLOW,
  ) {}

  /** Output from the source. */
  push(text: string): void {
    if (!text) return;
    this.pending += text;
    // Whole chunks go at once; the remainder waits for more (a flood used to go as a full chunk plus a sliver, twice the messages).
    const whole = this.pending.length - (this.pending.length % this.limits.chunkChars);
    if (whole > 0) this.sendFirst(whole);
    if (this.pending.length > 0 && !this.scheduled) {
      // A pty gives a flood in pieces of a few KB: gathered for a few ms they cross the processes and the WebSocket as
      // 100k chunks (one message per piece was the bottleneck, about 6 MB/s), while an echo waits no more than that.
      this.scheduled = true;
      setTimeout(() => {
        this.scheduled = false;
        this.flush();
      }, GATHER_MS);
    }
  }

  /** Sends what is gathered now (also before the session's end is reported). */
  flush(): void {
    this.sendFirst(this.pending.length);
  }

  /** Sends the first `chars` characters gathered, in chunks of at most chunkChars. */
  private sendFirst(chars: number): void {
    let left = chars;
    while (left > 0) {
      let n = Math.min(left, this.limits.chunkChars);
      // Never between the two halves of a surrogate pair: a chunk's bytes go to the screen as UTF-8 (TerminalOutputFrame).
      // A lone high surrogate stays gathered for its pair (a flush sends it anyway).
      if (n < this.pending.length && isHighSurrogate(this.pending.charCodeAt(n - 1)) && --n === 0) break;
      const chunk = this.pending.slice(0, n);
      this.pending = this.pending.slice(chunk.length);
      left -= chunk.length;
      this.unacked += chunk.length;
      this.send(chunk);
    }
    if (!this.paused && this.unacked > this.limits.highWater) {
      this.paused = true;
      this.source.pause();
    }
  }

  /** The renderer has written `chars` more characters to the screen. */
  ack(chars: number): void {
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.paused && this.unacked <= this.limits.lowWater) {
      this.paused = false;
      this.source.resume();
    }
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get unacknowledged(): number {
    return this.unacked;
  }
}
