/**
 * The window's side of a session's traffic (renderer/src/terminal/io.ts):
 * keystrokes in order, one write in flight; acknowledgements as offsets,
 * sent every ACK_CHARS without waiting for the one before (a flood waits on
 * them), and what is left after ACK_MS.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACK_CHARS, ACK_MS, SessionIO } from '../../renderer/src/terminal/io';

function link() {
  const acks: number[] = [];
  const writes: { data: string; done: () => void }[] = [];
  const errors: unknown[] = [];
  return {
    acks,
    writes,
    errors,
    // Never answered: an acknowledgement still on its way to the station.
    ack: (offset: number) => {
      acks.push(offset);
      return new Promise(() => undefined);
    },
    write: (data: string) => new Promise((resolve) => writes.push({ data, done: () => resolve(null) })),
    onWriteError: (e: unknown) => errors.push(e),
  };
}

describe('SessionIO', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('acknowledges every full step at once, while earlier acknowledgements are still unanswered', () => {
    const l = link();
    const io = new SessionIO(l);
    for (let i = 1; i <= 5; i++) io.written(i * ACK_CHARS);
    // One per step: a flood is not held to one acknowledgement per round trip.
    expect(l.acks).toEqual([1, 2, 3, 4, 5].map((i) => i * ACK_CHARS));
  });

  it('acknowledges what is left after ACK_MS, once, and never an offset twice', () => {
    const l = link();
    const io = new SessionIO(l);
    io.written(100);
    io.written(2_000);
    expect(l.acks).toEqual([]);
    vi.advanceTimersByTime(ACK_MS);
    expect(l.acks).toEqual([2_000]);
    io.written(1_500);
    vi.advanceTimersByTime(ACK_MS * 2);
    expect(l.acks).toEqual([2_000]);
  });

  it('sends no acknowledgement after it is closed', () => {
    const l = link();
    const io = new SessionIO(l);
    io.written(10);
    io.close();
    vi.advanceTimersByTime(ACK_MS * 2);
    io.written(ACK_CHARS * 2);
    expect(l.acks).toEqual([]);
  });

  it('keeps keystrokes in order with one write in flight, gathering what is typed meanwhile', async () => {
    const l = link();
    const io = new SessionIO(l);
    io.send('l');
    io.send('s');
    io.send('\r');
    expect(l.writes.map((w) => w.data)).toEqual(['l']);
    l.writes[0]!.done();
    await vi.waitFor(() => expect(l.writes.map((w) => w.data)).toEqual(['l', 's\r']));
  });
});
