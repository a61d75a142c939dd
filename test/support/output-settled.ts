/**
 * Waiting for a flow-controlled stream to stop growing: a session paused by
 * flow control still delivers what was in flight, for a moment that depends
 * on the machine's load, so a fixed sleep would be too short under load.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `w.chars` has not changed for `quietMs` (at most `capMs`,
 * else throws); returns when it last changed (Date.now()).
 */
export async function outputSettled(w: { chars: number }, quietMs = 500, capMs = 10_000): Promise<number> {
  const end = Date.now() + capMs;
  let seen = w.chars;
  let changed = Date.now();
  while (Date.now() - changed < quietMs) {
    if (Date.now() > end) throw new Error(`the output did not stop growing within ${capMs} ms (at ${w.chars} chars)`);
    await sleep(20);
    if (w.chars !== seen) {
      seen = w.chars;
      changed = Date.now();
    }
  }
  return changed;
}
