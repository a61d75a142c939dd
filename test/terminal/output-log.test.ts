/**
 * A session's output as the native process keeps it
 * (main/terminal/output-log.ts): each reader gets the output from its offset
 * exactly once (a gap first where the buffer no longer holds it), the
 * acknowledgements are offsets (two windows, or a replay, never count output
 * twice), and output nobody reads is acknowledged at once.
 */
import { describe, expect, it } from 'vitest';
import { OutputLog } from '../../main/terminal/output-log';
import type { TerminalOutputEvent } from '../../main/terminal/protocol';

function log(replayChars = 10) {
  const released: number[] = [];
  return { released, log: new OutputLog((chars) => released.push(chars), replayChars) };
}

function reader() {
  const events: TerminalOutputEvent[] = [];
  const text = () => events.map((e) => (e.type === 'data' ? e.data : `[gap ${e.from}-${e.to}]`)).join('');
  return { events, text, read: (e: TerminalOutputEvent) => events.push(e) };
}

describe('OutputLog', () => {
  it('acknowledges output nobody reads at once, and holds it back for a reader until it acknowledges by offset', () => {
    const { log: l, released } = log(100);
    l.append('abc');
    expect(released).toEqual([3]);
    const r = reader();
    const stop = l.read(3, r.read);
    l.append('defg');
    expect(released).toEqual([3]);
    l.ack(5);
    l.ack(5);
    l.ack(4);
    expect(released).toEqual([3, 2]);
    // An offset past what was made counts up to the end only.
    l.ack(99);
    expect(released).toEqual([3, 2, 2]);
    l.append('hi');
    stop();
    // The last reader gone: what it had not acknowledged is released.
    expect(released).toEqual([3, 2, 2, 2]);
    stop();
    expect(released).toEqual([3, 2, 2, 2]);
    expect(r.text()).toBe('defghi');
  });

  it('replays from a reader’s offset, mid-chunk, then goes on live, each character once and in order', () => {
    const { log: l } = log(100);
    l.append('hello ');
    l.append('world');
    const r = reader();
    l.read(3, r.read);
    l.append('!');
    expect(r.events).toEqual([
      { type: 'data', offset: 3, data: 'lo ' },
      { type: 'data', offset: 6, data: 'world' },
      { type: 'data', offset: 11, data: '!' },
    ]);
    expect(l.offset).toBe(12);
  });

  it('keeps only the newest output, and tells a reader from before it of the gap', () => {
    const { log: l } = log(10);
    for (const piece of ['0123', '4567', '89ab', 'cdef']) l.append(piece);
    const r = reader();
    l.read(0, r.read);
    expect(r.text()).toBe('[gap 0-8]89abcdef');
    // A reader from an offset past the end starts at the end.
    const late = reader();
    l.read(500, late.read);
    l.append('g');
    expect(late.events).toEqual([{ type: 'data', offset: 16, data: 'g' }]);
  });

  it('gives two readers the same output; an acknowledgement from either counts once', () => {
    const { log: l, released } = log(100);
    const a = reader();
    const b = reader();
    l.read(0, a.read);
    l.read(0, b.read);
    l.append('xyz');
    expect(a.text()).toBe('xyz');
    expect(b.text()).toBe('xyz');
    l.ack(3);
    l.ack(3);
    expect(released).toEqual([3]);
  });
});
