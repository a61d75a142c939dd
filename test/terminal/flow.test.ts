/**
 * The native process's side of a session's output (main/terminal/flow.ts):
 * a flood read in pieces of a few KB leaves as whole chunks (not a full
 * chunk plus a sliver each time), small output still goes within a few ms,
 * and the source is paused above the high water mark and resumed at the low
 * one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLOW } from '../../main/terminal';
import { SessionOutput } from '../../main/terminal/flow';
import { ACK_CHARS } from '../../renderer/src/terminal/io';

const limits = { chunkChars: 100_000, highWater: 500_000, lowWater: 100_000 };

function output() {
  const sent: string[] = [];
  const source = { paused: 0, resumed: 0, pause: () => source.paused++, resume: () => source.resumed++ };
  const out = new SessionOutput((chunk) => sent.push(chunk), source, limits);
  return { sent, source, out };
}

describe('SessionOutput', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a flood read in 4 KB pieces as whole chunks, in order, with only the last one short', () => {
    const { sent, out } = output();
    let text = '';
    for (let i = 0; i < 300; i++) {
      // 4095 characters, as a pty gives them, each piece different so that the order shows.
      const piece = String(i % 10).repeat(4095);
      text += piece;
      out.push(piece);
      out.ack(piece.length);
    }
    vi.advanceTimersByTime(10);
    expect(sent.join('')).toBe(text);
    expect(sent.slice(0, -1).every((c) => c.length === limits.chunkChars)).toBe(true);
    expect(sent).toHaveLength(Math.ceil(text.length / limits.chunkChars));
  });

  it('never ends a chunk between the two halves of a surrogate pair', () => {
    const { sent, out } = output();
    // An emoji (two UTF-16 code units) across every chunk boundary: 99,999 characters, then pairs.
    const text = 'a'.repeat(limits.chunkChars - 1) + '😀'.repeat(limits.chunkChars);
    out.push(text);
    vi.advanceTimersByTime(10);
    expect(sent.join('')).toBe(text);
    expect(sent.every((c) => !/[\uD800-\uDBFF]$/.test(c))).toBe(true);
    // A single high surrogate at the end is sent with the flush all the same (the source may not give its pair).
    const { sent: last, out: lone } = output();
    lone.push('x\uD83D');
    vi.advanceTimersByTime(10);
    expect(last.join('')).toBe('x\uD83D');
  });

  it('sends a little output (an echo) after a few ms, without waiting for a chunk to fill', () => {
    const { sent, out } = output();
    out.push('l');
    out.push('s\r\n');
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['ls\r\n']);
  });

  it('pauses the source above the high water mark and resumes it at the low one', () => {
    const { source, out } = output();
    for (let i = 0; i < 6; i++) out.push('x'.repeat(limits.chunkChars));
    expect(out.unacknowledged).toBe(600_000);
    expect(source.paused).toBe(1);
    out.ack(400_000);
    expect(source.resumed).toBe(0);
    out.ack(100_000);
    expect(source.resumed).toBe(1);
    expect(out.isPaused).toBe(false);
  });

  it('gets the acknowledgements it needs to resume from the window before the window runs dry', () => {
    // The window acknowledges every ACK_CHARS written: above high minus low water, a paused flood would wait for ACK_MS each time.
    expect(ACK_CHARS).toBeLessThanOrEqual((FLOW.highWater - FLOW.lowWater) / 2);
    expect(FLOW.highWater - FLOW.lowWater).toBeGreaterThanOrEqual(FLOW.chunkChars);
  });
});
