/** The serial hex view's memory: the last bytes received, in a ring, and their dump. */

export const HEX_KEEP = 4096;
const ROW = 16;

export class ByteRing {
  private readonly buf: Uint8Array;
  private start = 0;
  private length = 0;
  /** Bytes received since the session began (the first kept byte's offset is total - length). */
  total = 0;

  constructor(readonly capacity = HEX_KEEP) {
    this.buf = new Uint8Array(capacity);
  }

  push(bytes: Uint8Array): void {
    this.total += bytes.length;
    const from = Math.max(0, bytes.length - this.capacity);
    for (let i = from; i < bytes.length; i++) {
      const at = (this.start + this.length) % this.capacity;
      this.buf[at] = bytes[i]!;
      if (this.length < this.capacity) this.length++;
      else this.start = (this.start + 1) % this.capacity;
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.buf[(this.start + i) % this.capacity]!;
    return out;
  }
}

/** One line per 16 bytes: offset, hex, and the printable ASCII ('.' for the rest), as `hexdump -C` shows them. */
export function hexDump(bytes: Uint8Array, firstOffset: number): string[] {
  const lines: string[] = [];
  // Rows start on a multiple of 16 of the session's stream, so a byte keeps its column as the ring moves.
  const skip = firstOffset % ROW;
  for (let row = -skip; row < bytes.length; row += ROW) {
    let hex = '';
    let ascii = '';
    for (let i = row; i < row + ROW; i++) {
      if (i < 0 || i >= bytes.length) {
        hex += '   ';
        ascii += ' ';
      } else {
        const b = bytes[i]!;
        hex += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      }
      if (i === row + 7) hex += ' ';
    }
    lines.push(`${(firstOffset + row).toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}

/** A serial session's output (one character per byte) as the bytes. */
export function latin1Bytes(data: string): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
  return out;
}
