import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NativeHost, childProcessChannel } from '../../main/native';
import { nativeWorkerPath } from '../support/tmp';

describe('native I/O worker process', () => {
  it('loads node-pty, serialport and ssh2 in a separate process and reports their health', async () => {
    const host = new NativeHost('child-process', childProcessChannel(nativeWorkerPath));
    try {
      const h = await host.health();
      expect(h.error).toBeNull();
      expect(h.ok).toBe(true);
      expect(h.pid).not.toBe(process.pid);
      expect(h.modules.map((m) => [m.name, m.ok])).toEqual([
        ['node-pty', true],
        ['serialport', true],
        ['ssh2', true],
      ]);
    } finally {
      host.dispose();
    }
  });

  it('comes back after the process dies, as after a native crash', async () => {
    const host = new NativeHost('child-process', childProcessChannel(nativeWorkerPath));
    try {
      const before = await host.health();
      host.crashForTest();
      let after = await host.health();
      for (let i = 0; i < 50 && (!after.ok || after.pid === before.pid); i++) {
        await sleep(100);
        after = await host.health();
      }
      expect(after.ok).toBe(true);
      expect(after.pid).not.toBe(before.pid);
      expect(after.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      host.dispose();
    }
  });
});
