import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../main/api/errors';
import { NativeHost, childProcessChannel } from '../../main/native';
import { nativeWorkerPath, tempDir } from '../support/tmp';

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

  it('hands a write to a process that has just died to the sender (EPIPE), not to an uncaught error', async () => {
    // A child that only says it is ready: the kernel answers a write to its dead end with EPIPE in
    // most tries (not all: some writes are taken), so the race is run until one is refused.
    const entry = join(tempDir('native-idle-'), 'idle.cjs');
    writeFileSync(entry, 'process.send({ ready: true, pid: process.pid }); setInterval(() => {}, 1e6);\n');
    const outcomes: string[] = [];
    for (let i = 0; i < 20 && !outcomes.some((o) => o !== 'taken'); i++) {
      const channel = childProcessChannel(entry)();
      const ready = new Promise<void>((resolve) => channel.onMessage((m) => 'ready' in m && resolve()));
      const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()));
      await ready;
      channel.kill();
      waitUntilGone(channel.pid as number);
      outcomes.push(
        await new Promise<string>((resolve) => {
          channel.send({ id: 1, method: 'health' }, (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
          setTimeout(() => resolve('taken'), 500);
        }),
      );
      await exited;
    }
    expect(outcomes.filter((o) => o !== 'taken')).toEqual([expect.stringMatching(/^(EPIPE|ECONNRESET)$/)]);
  });

  it('answers a request to a process that has just died at once, then comes back', async () => {
    const host = new NativeHost('child-process', childProcessChannel(nativeWorkerPath));
    try {
      const before = await host.health();
      expect(before.ok).toBe(true);
      host.crashForTest();
      waitUntilGone(before.pid as number);
      const asked = Date.now();
      const during = await host.health();
      expect(during.ok).toBe(false);
      // The failed write or the exit, whichever the service hears first; not the 10 s request time-out.
      expect(during.error?.en).toMatch(/could not be reached for health \((EPIPE|ECONNRESET)\)|exited \(code null\)/);
      expect(Date.now() - asked).toBeLessThan(5_000);
      let after = await host.health();
      for (let i = 0; i < 50 && !after.ok; i++) {
        await sleep(100);
        after = await host.health();
      }
      expect(after.ok).toBe(true);
    } finally {
      host.dispose();
    }
  });

  it('refuses with coded errors in both languages: no answer in time, a process that dies while asked, one that cannot start', async () => {
    // A child that says it is ready and then never answers, nor lives long when told to exit.
    const entry = join(tempDir('native-mute-'), 'mute.cjs');
    writeFileSync(
      entry,
      "process.send({ ready: true, pid: process.pid }); process.on('message', (m) => m.method === 'die' && process.exit(3)); setInterval(() => {}, 1e6);\n",
    );
    const host = new NativeHost('child-process', childProcessChannel(entry));
    try {
      const slow = await host.request('health', undefined, 300).then(
        () => null,
        (e: unknown) => e,
      );
      expect(slow).toBeInstanceOf(AppError);
      expect((slow as AppError).code).toBe('NATIVE_TIMEOUT');
      expect((slow as AppError).text.en).toMatch(/^The native I\/O process did not answer health within 0\.3 s\./);
      expect((slow as AppError).text.zh).toMatch(/^原生 I\/O 进程未在 0\.3 秒内响应 health。/);

      const died = await host.request('die').then(
        () => null,
        (e: unknown) => e,
      );
      expect((died as AppError).code).toBe('NATIVE_UNAVAILABLE');
      expect((died as AppError).text.en).toMatch(/not available: it exited \(code 3\) before answering die\. It restarts on its own/);
      expect((died as AppError).text.zh).toMatch(/^原生 I\/O 进程（终端、串口）不可用：它在响应 die 之前退出（代码 3）。/);
    } finally {
      host.dispose();
    }

    const broken = new NativeHost('child-process', () => {
      throw new Error('spawn ENOENT');
    });
    const refused = await broken.request('health').then(
      () => null,
      (e: unknown) => e,
    );
    expect((refused as AppError).code).toBe('NATIVE_UNAVAILABLE');
    expect((refused as AppError).text.en).toContain('not available: it could not be started (spawn ENOENT).');
    // The Settings page and `edgeforge doctor` show the health's reason in the UI's language.
    const health = await broken.health();
    expect(health.error?.en).toContain('could not be started (spawn ENOENT)');
    expect(health.error?.zh).toContain('无法启动它（spawn ENOENT）');
  });
});

/**
 * Blocks this thread (the event loop cannot turn) until the process is dead, so the next write
 * meets a dead pipe before the service has heard of the exit.
 */
function waitUntilGone(pid: number): void {
  const gone = (): boolean => {
    try {
      process.kill(pid, 0);
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
    } catch {
      return true;
    }
  };
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 100 && !gone(); i++) Atomics.wait(cell, 0, 0, 20);
  expect(gone()).toBe(true);
}
