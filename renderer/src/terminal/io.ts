/**
 * One session's traffic with the station, outside React:
 *
 * - Keystrokes: never more than one terminal.write in flight per session,
 *   so that they arrive in the order typed; what is typed meanwhile is
 *   gathered and sent as one write when the previous one returns.
 * - Acknowledgements (flow control, main/terminal/flow.ts): the offset xterm
 *   has written to the screen, sent every ACK_CHARS characters or, for what
 *   is left, after ACK_MS, so output never stays paused. An acknowledgement
 *   is an offset (the station keeps the highest), so one does not wait for
 *   the one before it: waiting for each round trip (window, station, native
 *   process and back) held a flood to about one window per round trip.
 */

/** The contract's limit for one write is 1,000,000 characters; a big paste goes in pieces. */
const WRITE_MAX = 500_000;
export const ACK_MS = 50;
export const ACK_CHARS = 256 * 1024;

export interface SessionLink {
  write(data: string): Promise<unknown>;
  ack(offset: number): Promise<unknown>;
  /** A write the station refused (the session ended, the connection is gone). */
  onWriteError(error: unknown): void;
}

export class SessionIO {
  private pending = '';
  private writing = false;
  private closed = false;
  /** The offset written to the screen, and the last one sent. */
  private reached = 0;
  private acked = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly link: SessionLink) {}

  /** Keystrokes or a paste, in order. */
  send(data: string): void {
    if (this.closed || !data) return;
    this.pending += data;
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.closed || !this.pending) return;
    let n = Math.min(this.pending.length, WRITE_MAX);
    // Never split a surrogate pair between two writes.
    if (n < this.pending.length && /[\uD800-\uDBFF]/.test(this.pending[n - 1]!)) n--;
    const data = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    this.writing = true;
    this.link.write(data).then(
      () => {
        this.writing = false;
        this.pump();
      },
      (e: unknown) => {
        this.writing = false;
        // What was typed after a refused write would be refused too.
        this.pending = '';
        if (!this.closed) this.link.onWriteError(e);
      },
    );
  }

  /** xterm has written output up to `offset` (called from term.write's callback). */
  written(offset: number): void {
    if (offset <= this.reached) return;
    this.reached = offset;
    if (this.reached - this.acked >= ACK_CHARS) this.flushAck();
    else this.timer ??= setTimeout(() => this.flushAck(), ACK_MS);
  }

  private flushAck(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed || this.reached <= this.acked) return;
    this.acked = this.reached;
    // A lost acknowledgement is made good by the next one (offsets, not counts).
    this.link.ack(this.acked).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.pending = '';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
