/**
 * The output stream's frames (TerminalOutputFrame in the API contract): as
 * the native process writes them (main/terminal/output-socket.ts) and as
 * the window's output worker reads them (renderer/src/terminal/output-frame.ts),
 * whatever pieces the stream arrives in.
 */
import { describe, expect, it } from 'vitest';
import type { TerminalOutputMessage } from '../../main/api/contract';
import { messageFrame, outputFrame } from '../../main/terminal/output-socket';
import { FrameSplitter, frameKind, MESSAGE, OUTPUT, readOutputFrame } from '../../renderer/src/terminal/output-frame';

describe('output stream frames', () => {
  const text = 'plain \x1b[1mbold\x1b[0m, 中文, 😀 and \r\n';
  // Every byte value, as a serial line gives them: one character per byte.
  const raw = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const message: TerminalOutputMessage = { key: 3, event: { type: 'gap', from: 0, to: 42 } };
  const stream = Buffer.concat([outputFrame(1, 1e12, text, 'utf8'), messageFrame(message), outputFrame(4_000_000_000, 7, raw.toString('latin1'), 'bytes')]);

  function readAll(pieces: Buffer[]) {
    const splitter = new FrameSplitter();
    return pieces.flatMap((p) => splitter.push(new Uint8Array(p)));
  }

  function check(bodies: ArrayBuffer[]) {
    expect(bodies.map(frameKind)).toEqual([OUTPUT, MESSAGE, OUTPUT]);
    const a = readOutputFrame(bodies[0]!)!;
    expect({ ...a, bytes: new TextDecoder().decode(a.bytes) }).toEqual({ key: 1, offset: 1e12, chars: text.length, encoding: 'utf8', bytes: text });
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(bodies[1]!, 1)))).toEqual(message);
    const c = readOutputFrame(bodies[2]!)!;
    expect({ ...c, bytes: Buffer.from(c.bytes) }).toEqual({ key: 4_000_000_000, offset: 7, chars: 256, encoding: 'bytes', bytes: raw });
  }

  it('reads what it writes: text as UTF-8, a bytes session’s bytes as they came, the offsets and keys whole', () => {
    check(readAll([stream]));
  });

  it('reads the frames whatever pieces they arrive in', () => {
    // Cut at every position into two, then into one-byte pieces.
    for (let at = 0; at <= stream.length; at++) check(readAll([stream.subarray(0, at), stream.subarray(at)]));
    check(readAll([...stream].map((b) => Buffer.from([b]))));
    // Each frame in a buffer of its own, so that it can be transferred to the page whole.
    const bodies = readAll([stream]);
    expect(new Set(bodies).size).toBe(3);
  });

  it('keeps an incomplete frame until the rest comes, and reads nothing that is not an output frame as one', () => {
    const splitter = new FrameSplitter();
    expect(splitter.push(new Uint8Array(stream.subarray(0, 10)))).toEqual([]);
    expect(readOutputFrame(new Uint8Array([OUTPUT, 1, 2]).buffer)).toBeNull();
    expect(readOutputFrame(readAll([messageFrame(message)])[0]!)).toBeNull();
  });
});
