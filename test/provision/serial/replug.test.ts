/**
 * A serial cable whose USB-serial adapter is pulled and plugged back, and
 * one that damages a byte, between EdgeForge and a real shell with a real
 * `rz` (consoles.ts: Cable). The box's shell keeps running while the
 * adapter's tty device is gone, as on a real bench.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openSerialShell, type SerialShell, type SerialShellOptions } from '../../../main/provision/serial';
import { tempDir } from '../../support/tmp';
import { Cable, LINE, hasLrzsz, hasSocat, type CableOptions } from './consoles';
import { refusal } from '../../support/refusal';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const cables: Cable[] = [];
const shells: SerialShell[] = [];
afterEach(async () => {
  for (const s of shells.splice(0)) await s.close().catch(() => undefined);
  for (const c of cables.splice(0)) await c.stop();
});

async function bench(o: Partial<CableOptions> = {}, shellOptions: Partial<SerialShellOptions> = {}) {
  const dir = tempDir();
  const cable = await Cable.start({ boxCommand: '/bin/sh -i', path: path.join(dir, 'ttyUSB0'), ...o });
  cables.push(cable);
  const logs: string[] = [];
  const states: string[] = [];
  const shell = await openSerialShell({
    path: path.join(dir, 'ttyUSB0'),
    line: LINE,
    username: 'root',
    reconnectPollMs: 100,
    log: (l) => logs.push(l),
    ...shellOptions,
  });
  shells.push(shell);
  shell.on('state', (s: string) => states.push(s));
  return { cable, shell, logs, states };
}

function payload(bytes: number): { file: string; data: Buffer } {
  const data = randomBytes(bytes);
  const file = path.join(tempDir(), 'bundle.tar');
  fs.writeFileSync(file, data);
  return { file, data };
}

async function until(what: string, timeoutMs: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe.skipIf(!hasSocat())('a USB-serial adapter pulled and plugged back', () => {
  it('fails the command in flight with SERIAL_DISCONNECTED, then reopens the port and finds its shell again', async () => {
    const { cable, shell, logs, states } = await bench();
    const id = (await shell.exec('echo "$EF_SESSION"')).stdout;
    const inflight = shell.exec('sleep 3; echo late', { timeoutMs: 30_000 });
    await sleep(300);
    await cable.unplug();
    const e = await refusal(inflight);
    expect(e.code).toBe('SERIAL_DISCONNECTED');
    expect(e.text.zh).toContain('USB');
    expect(shell.state).toBe('reconnecting');

    // Work asked for meanwhile waits for the line instead of failing.
    const queued = shell.exec('echo back');
    await sleep(1_000);
    await cable.plug();
    expect((await queued).stdout).toBe('back\n');
    expect(states).toEqual(['reconnecting', 'open']);
    expect(logs.join('\n')).toContain("found EdgeForge's shell");
    expect((await shell.exec('echo "$EF_SESSION"')).stdout).toBe(id);
  });

  it('gives up after the reconnect limit: SERIAL_DISCONNECTED, and the session is closed', async () => {
    const { cable, shell, states } = await bench({}, { reconnectTimeoutMs: 1_500 });
    await cable.unplug();
    await until('the session closing', 10_000, () => shell.state === 'closed');
    expect(states).toEqual(['reconnecting', 'closed']);
    const e = await refusal(shell.exec('true'));
    expect(e.code).toBe('SERIAL_DISCONNECTED');
    expect(e.text.en).toContain('did not come back within 2 s');
  });

  it('resumes a base64 upload cut by the pulled adapter from what the box had verified', async () => {
    // 100 kB/s each way, so the cut lands mid-transfer.
    const { cable, shell } = await bench({ bytesPerSecond: 100_000 });
    const { file, data } = payload(400_000);
    const dest = path.join(tempDir(), 'bundle.tar');
    let cut = false;
    const first = shell.upload(file, dest, {
      method: 'base64',
      chunkBytes: 32 * 1024,
      onProgress: (d) => {
        if (d >= 96 * 1024 && !cut) {
          cut = true;
          void cable.unplug();
        }
      },
    });
    expect((await refusal(first)).code).toBe('SERIAL_DISCONNECTED');
    await cable.plug();
    await shell.upload(file, dest, { method: 'base64', chunkBytes: 32 * 1024 });
    expect(shell.lastUpload!.resumedFrom).toBeGreaterThanOrEqual(96 * 1024);
    expect(sha256(fs.readFileSync(dest))).toBe(sha256(data));
  });

  it.skipIf(!hasLrzsz())('gets the console back from an rz cut off mid-transfer, and the upload then completes', async () => {
    const { cable, shell, logs } = await bench({ bytesPerSecond: 100_000 });
    const { file, data } = payload(600_000);
    const dest = path.join(tempDir(), 'bundle.tar');
    let cut = false;
    const first = shell.upload(file, dest, {
      onProgress: (d) => {
        if (d >= 150_000 && !cut) {
          cut = true;
          void cable.unplug();
        }
      },
    });
    expect((await refusal(first)).code).toBe('SERIAL_DISCONNECTED');
    await cable.plug();
    await shell.upload(file, dest);
    expect(logs.join('\n')).toContain('interrupting the ZMODEM transfer');
    expect(shell.lastUpload!.method).toBe('zmodem');
    expect(sha256(fs.readFileSync(dest))).toBe(sha256(data));
  });
});

describe.skipIf(!hasSocat())('a line that damages a byte', () => {
  it('base64: the damaged chunk fails its check on the box and is sent again', async () => {
    const { cable, shell, logs } = await bench();
    const { file, data } = payload(200_000);
    const dest = path.join(tempDir(), 'bundle.tar');
    let armed = false;
    await shell.upload(file, dest, {
      method: 'base64',
      chunkBytes: 32 * 1024,
      onProgress: () => {
        if (armed) return;
        armed = true;
        // Past the first chunk's command (about 1.5 kB), inside its data.
        cable.damageToBox(6_000);
      },
    });
    expect(logs.join('\n')).toContain('arrived damaged; sending it again');
    expect(sha256(fs.readFileSync(dest))).toBe(sha256(data));
  });

  it.skipIf(!hasLrzsz())('ZMODEM: rz sees the bad CRC, the attempt stops, and a resumed attempt completes the file', async () => {
    const { cable, shell, logs } = await bench();
    const { file, data } = payload(1_000_000);
    const dest = path.join(tempDir(), 'bundle.tar');
    let armed = false;
    await shell.upload(file, dest, {
      onProgress: () => {
        if (armed) return;
        armed = true;
        cable.damageToBox(300_000);
      },
    });
    expect(logs.join('\n')).toContain('ZMODEM attempt failed');
    expect(shell.lastUpload!.method).toBe('zmodem');
    expect(sha256(fs.readFileSync(dest))).toBe(sha256(data));
  });
});
