/**
 * A headless host on a data directory that has no passphrase given: its
 * station key vault starts locked (and, on a new directory, without a
 * passphrase), as on a first run without EDGEFORGE_PASSPHRASE. The test run
 * sets that variable for every host (vitest.config.ts); this one is started
 * with it empty.
 */
import { startHostProcess, type RunningHost } from './host';

export function startHostWithoutPassphrase(home: string): Promise<RunningHost> {
  const saved = process.env.EDGEFORGE_PASSPHRASE;
  process.env.EDGEFORGE_PASSPHRASE = '';
  try {
    // The child's environment is copied when it is spawned, synchronously, before the first await.
    return startHostProcess(home);
  } finally {
    if (saved === undefined) delete process.env.EDGEFORGE_PASSPHRASE;
    else process.env.EDGEFORGE_PASSPHRASE = saved;
  }
}
