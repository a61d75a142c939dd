/**
 * One session's output in the native I/O process, where it is made: the
 * newest of it kept for a window that attaches again (the replay buffer),
 * handed to whoever reads the session (a window's own socket, or the
 * service relaying it), and acknowledged by offset.
 *
 * Acknowledgements are offsets ("written up to here"), so that two windows
 * on one session, or a replay after a reload, never count output twice.
 * While nobody reads the session, its output is acknowledged here: a
 * session left alone keeps running and its newest output is kept.
 */
import { FLOW, type TerminalOutputEvent } from './protocol';

/**
 * Output kept per session for a window that attaches again (characters): at
 * least what may be unacknowledged (the flow window and a chunk), so that a
 * window that reads again from where its screen was loses nothing.
 */
export const REPLAY_CHARS = FLOW.highWater + FLOW.chunkChars;

export type OutputReader = (event: TerminalOutputEvent) => void;

export class OutputLog {
  private readonly chunks: { offset: number; data: string }[] = [];
  private kept = 0;
  private end = 0;
  private acked = 0;
  private readonly readers = new Set<OutputReader>();

  constructor(
    /** Tells the flow control that `chars` more characters were written to a screen (or nobody needs them). */
    private readonly release: (chars: number) => void,
    private readonly replayChars = REPLAY_CHARS,
  ) {}

  /** Characters made so far: the offset of the next output. */
  get offset(): number {
    return this.end;
  }

  append(data: string): void {
    if (!data) return;
    const chunk = { offset: this.end, data };
    this.chunks.push(chunk);
    this.kept += data.length;
    this.end += data.length;
    while (this.kept > this.replayChars && this.chunks.length > 1) this.kept -= this.chunks.shift()!.data.length;
    for (const r of this.readers) r({ type: 'data', offset: chunk.offset, data });
    if (this.readers.size === 0) this.ack(this.end);
  }

  /**
   * Hands `reader` the output from `from` on, at once (a gap first if the
   * buffer no longer holds its start), then each new piece as it is made,
   * until the returned stop is called.
   */
  read(from: number, reader: OutputReader): () => void {
    let sent = Math.max(0, Math.min(from, this.end));
    const oldest = this.chunks[0]?.offset ?? this.end;
    if (sent < oldest) {
      reader({ type: 'gap', from: sent, to: oldest });
      sent = oldest;
    }
    for (const c of this.chunks) {
      const stop = c.offset + c.data.length;
      if (stop <= sent) continue;
      reader({ type: 'data', offset: Math.max(c.offset, sent), data: c.offset >= sent ? c.data : c.data.slice(sent - c.offset) });
      sent = stop;
    }
    this.readers.add(reader);
    return () => {
      if (!this.readers.delete(reader)) return;
      // Nobody reading: the output is acknowledged here, so the session keeps running.
      if (this.readers.size === 0) this.ack(this.end);
    };
  }

  /** A screen has written the output up to `offset`. */
  ack(offset: number): void {
    const to = Math.min(offset, this.end);
    if (to <= this.acked) return;
    const chars = to - this.acked;
    this.acked = to;
    this.release(chars);
  }

  get readerCount(): number {
    return this.readers.size;
  }
}
