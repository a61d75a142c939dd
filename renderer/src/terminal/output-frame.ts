/** Reads the output stream's frames (TerminalOutputFrame in the API contract, whose comment gives the layout). */
import type { TerminalOutputFrame } from '../../../main/api/contract';

/** A frame's kinds: output, or any other message as JSON. */
export const OUTPUT = 0;
export const MESSAGE = 1;
const OUTPUT_HEADER = 1 + 17;

/**
 * Cuts the stream's bytes, in whatever pieces they arrive, into frames: each
 * frame's body (its kind first) in an ArrayBuffer of its own, which can be
 * transferred whole.
 */
export class FrameSplitter {
  private readonly pieces: Uint8Array[] = [];
  private held = 0;

  /** The frames completed by `piece`, in order. */
  push(piece: Uint8Array): ArrayBuffer[] {
    this.pieces.push(piece);
    this.held += piece.byteLength;
    const frames: ArrayBuffer[] = [];
    for (;;) {
      if (this.held < 4) return frames;
      const length = this.peekLength();
      if (this.held < 4 + length) return frames;
      this.take(4);
      frames.push(this.take(length).buffer as ArrayBuffer);
    }
  }

  private peekLength(): number {
    const head = new Uint8Array(4);
    let got = 0;
    for (const p of this.pieces) {
      const n = Math.min(4 - got, p.byteLength);
      head.set(p.subarray(0, n), got);
      got += n;
      if (got === 4) break;
    }
    return new DataView(head.buffer).getUint32(0, true);
  }

  /** The first `n` bytes held, copied into a buffer of their own. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const p = this.pieces[0]!;
      const k = Math.min(n - got, p.byteLength);
      out.set(p.subarray(0, k), got);
      got += k;
      if (k === p.byteLength) this.pieces.shift();
      else this.pieces[0] = p.subarray(k);
    }
    this.held -= n;
    return out;
  }
}

/** A frame's kind. */
export function frameKind(body: ArrayBuffer): number {
  return body.byteLength > 0 ? new Uint8Array(body)[0]! : -1;
}

/** An output frame's body as the output it carries and where it goes; null if it is too short to be one. */
export function readOutputFrame(body: ArrayBuffer): TerminalOutputFrame | null {
  if (body.byteLength < OUTPUT_HEADER || frameKind(body) !== OUTPUT) return null;
  const view = new DataView(body, 1, OUTPUT_HEADER - 1);
  return {
    key: view.getUint32(0, true),
    chars: view.getUint32(4, true),
    offset: view.getFloat64(8, true),
    encoding: view.getUint8(16) === 1 ? 'bytes' : 'utf8',
    bytes: new Uint8Array(body, OUTPUT_HEADER),
  };
}
