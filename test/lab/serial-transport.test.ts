/**
 * The serial transport on a QEMU lab box's ttyS0: a real agetty and login,
 * root and a sudo user, commands with their exit codes, a ZMODEM upload to
 * the box's rz (lrzsz) checked with the box's sha256sum and read back over
 * SSH, and the network bootstrap of eth1 (the shared segment) read back by
 * the kernel.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { bootstrapNetwork, openSerialShell, type SerialShell } from '../../main/provision/serial';
import { Lab, ROOT_PASSWORD, TECH_USER, type Box } from './lab';
import { refusal } from '../support/refusal';

const LINE = { baud: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' } as const;

describe('serial transport on a lab box (ttyS0: agetty + login)', { timeout: 600_000 }, () => {
  let lab: Lab;
  let box: Box;
  let shell: SerialShell | null = null;
  let dir: string;
  const logs: string[] = [];
  const open = (o: { username: string; password?: string; sudoPassword?: string }) =>
    openSerialShell({ path: box.serialPaths[0], line: LINE, ...o, log: (l) => logs.push(l) });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-serial-lab-'));
    lab = await Lab.create(inject('labImage'));
    box = await lab.start({ name: 'serialbox' });
    await box.waitReady(180_000);
  }, 240_000);

  beforeEach((ctx) => {
    const from = logs.length;
    // The transport's own log of what it saw and typed, for a failure that only shows on a loaded machine.
    ctx.onTestFailed(() => console.error(`serial log of this test:\n${logs.slice(from).join('\n')}`));
  });

  afterAll(async () => {
    await shell?.close().catch(() => undefined);
    await lab?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password at the real login prompt with SERIAL_LOGIN_FAILED', async () => {
    const e = await refusal(open({ username: 'root', password: 'not-the-password' }));
    expect(e.code).toBe('SERIAL_LOGIN_FAILED');
    expect(e.text.en).toContain(box.serialPaths[0]);
  });

  it('logs in as root over ttyS0 and runs commands with their exit codes and output', async () => {
    shell = await open({ username: 'root', password: ROOT_PASSWORD });
    expect(shell.identity).toMatchObject({ user: 'root', uid: 0, loggedInByUs: true });
    expect(shell.tools).toEqual({ base64: true, sha256sum: true, rz: true });
    expect(await shell.exec('hostname; exit 4')).toEqual({ code: 4, stdout: 'serialbox\n', stderr: '' });
    expect((await shell.exec('false')).code).toBe(1);
    const lines = await shell.exec('for i in 1 2 3; do echo "step $i"; done; ls /nonexistent');
    expect(lines.code).toBe(2);
    expect(lines.stdout).toContain('step 1\nstep 2\nstep 3\n');
    expect(lines.stdout).toContain('No such file or directory');
    const stdin = randomBytes(5000);
    const r = await shell.exec('sha256sum', { stdin });
    expect(r.stdout.slice(0, 64)).toBe(createHash('sha256').update(stdin).digest('hex'));
  });

  it('sends a few MiB over ZMODEM to the box’s rz; the box’s sha256sum and a read-back over SSH agree', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 333);
    const file = path.join(dir, 'bundle.bin');
    fs.writeFileSync(file, data);
    const want = createHash('sha256').update(data).digest('hex');
    const seen: number[] = [];
    await shell!.upload(file, '/root/bundle.bin', { onProgress: (d) => seen.push(d) });
    expect(shell!.lastUpload).toMatchObject({ method: 'zmodem', resumedFrom: 0, bytes: data.length, sha256: want });
    expect(seen.at(-1)).toBe(data.length);
    const back = await box.ssh('sha256sum /root/bundle.bin; ls -a /root | grep -c edgeforge-upload || true');
    expect(back.stdout.split(/\s+/)[0]).toBe(want);
    expect(back.stdout.trim().split('\n').at(-1)).toBe('0');
  });

  it('gives eth1 a new address over serial, starts sshd, and the kernel reports the address', async () => {
    const missing = await refusal(bootstrapNetwork(shell!, { nic: 'eth7', address: '10.77.0.200/24', startSsh: true }));
    expect(missing.code).toBe('SERIAL_NIC_MISSING');
    expect(missing.text.en).toContain('eth0');
    expect(missing.text.en).toContain('eth1');

    await box.ssh('systemctl stop ssh.socket ssh.service 2>/dev/null; true');
    const host = await bootstrapNetwork(shell!, { nic: 'eth1', address: '10.77.0.200/24', gateway: '10.77.0.1', startSsh: true });
    expect(host).toBe('10.77.0.200');
    const ip = await shell!.exec('ip -4 -o addr show dev eth1; ip route show default; systemctl is-active ssh');
    expect(ip.stdout).toContain('inet 10.77.0.200/24');
    expect(ip.stdout).toContain('default via 10.77.0.1 dev eth1');
    expect(ip.stdout.trim().split('\n').at(-1)).toBe('active');
    // And from the other side: SSH (through NIC0's forward) sees the same.
    expect((await box.ssh('ip -4 -o addr show dev eth1')).stdout).toContain('10.77.0.200/24');
  });

  it('logs out on close, then runs commands through sudo for a user who is not root', async () => {
    await shell!.close();
    shell = null;
    const wrong = await refusal(open({ username: TECH_USER.username, password: TECH_USER.password, sudoPassword: 'wrong' }));
    expect(wrong.code).toBe('SERIAL_SUDO_FAILED');
    await new Promise((r) => setTimeout(r, 500));
    shell = await open({ username: TECH_USER.username, password: TECH_USER.password, sudoPassword: TECH_USER.password });
    expect(shell.identity).toMatchObject({ user: 'tech', sudo: 'password' });
    // On a console stderr and stdout are one stream: sudo's own warnings (this box's hostname is not in /etc/hosts) come first.
    const last = (r: { stdout: string }) => r.stdout.trim().split('\n').at(-1);
    expect(last(await shell.exec('id -un'))).toBe('root');
    const r = await shell.exec('cat > /root/from-tech.txt && stat -c %U /root/from-tech.txt', { stdin: 'written as root\n' });
    expect(r.code).toBe(0);
    expect(last(r)).toBe('root');

    // rz runs as tech in a staging folder tech owns; the file lands root's.
    const data = randomBytes(200_000);
    const file = path.join(dir, 'app.bin');
    fs.writeFileSync(file, data);
    await shell.upload(file, '/root/app.bin');
    expect(shell.lastUpload!.method).toBe('zmodem');
    const back = await box.ssh('sha256sum /root/app.bin; stat -c %U /root/app.bin');
    expect(back.stdout).toContain(createHash('sha256').update(data).digest('hex'));
    expect(back.stdout.trim().split('\n').at(-1)).toBe('root');
  });
});
