/**
 * The SSH transport against a real OpenSSH sshd on loopback: host keys
 * (trust on first use, a changed key refused, re-trust), key passphrases,
 * exec, algorithm lists, and the SFTP upload with its resume and remote
 * sha256 check.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '../../main/provision/known-hosts';
import { LEGACY_ALGORITHMS, sftpWriteShape, SshShell, type SshTarget } from '../../main/provision/ssh';
import { provisionSchema } from '../../main/provision/schema';

import { Store } from '../../main/store';
import { hasSshd, startSshd, type TestSshd } from '../support/sshd';
import { tempDir } from '../support/tmp';
import { refusal } from '../support/refusal';

function store(): KnownHosts {
  return new KnownHosts(Store.open(path.join(tempDir(), 'station.db'), [provisionSchema]).db);
}

describe.skipIf(!hasSshd())('SSH transport (real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  let target: SshTarget;
  beforeAll(async () => {
    sshd = await startSshd();
    target = { host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey };
  });
  afterAll(async () => sshd?.stop());

  it('trusts a new host on first use with the fingerprint ssh-keygen prints, then refuses a changed key until re-trusted', async () => {
    const known = store();
    const logs: string[] = [];
    const first = await SshShell.connect(target, { knownHosts: known, log: (l) => logs.push(l) });
    expect(first.hostKey).toEqual({ fingerprint: sshd.hostFingerprint(), firstUse: true });
    expect(known.get('127.0.0.1', sshd.port)?.fingerprint).toBe(sshd.hostFingerprint());
    expect(logs.join('\n')).toContain(sshd.hostFingerprint());
    await first.close();

    const again = await SshShell.connect(target, { knownHosts: known });
    expect(again.hostKey.firstUse).toBe(false);
    await again.close();

    const old = sshd.hostFingerprint();
    await sshd.rekey();
    const e = await refusal(SshShell.connect(target, { knownHosts: known }));
    expect(e.code).toBe('SSH_HOSTKEY_CHANGED');
    expect(e.text.en).toContain(old);
    expect(e.text.en).toContain(sshd.hostFingerprint());
    expect(e.text.zh).toContain('主机密钥已改变');
    // Still the old key on record: nothing replaced silently.
    expect(known.get('127.0.0.1', sshd.port)?.fingerprint).toBe(old);

    // A re-trust naming some other fingerprint is no re-trust.
    const wrong = await refusal(SshShell.connect(target, { knownHosts: known, retrustFingerprint: old }));
    expect(wrong.code).toBe('SSH_HOSTKEY_CHANGED');
    const ok = await SshShell.connect(target, { knownHosts: known, retrustFingerprint: sshd.hostFingerprint() });
    await ok.close();
    expect(known.get('127.0.0.1', sshd.port)?.fingerprint).toBe(sshd.hostFingerprint());
  });

  it('prefers chacha20-poly1305, as OpenSSH does, over AES-GCM (boxes without AES instructions run it at half the speed)', async () => {
    const sh = await SshShell.connect(target, { knownHosts: store() });
    expect(sh.cipher).toBe('chacha20-poly1305@openssh.com');
    await sh.close();
  });

  it('refuses an unknown host under the strict policy', async () => {
    const e = await refusal(SshShell.connect(target, { knownHosts: store(), hostKeyPolicy: 'strict' }));
    expect(e.code).toBe('SSH_HOSTKEY_UNKNOWN');
  });

  it('runs commands with their exit status, stdout, stderr and stdin', async () => {
    const sh = await SshShell.connect(target, { knownHosts: store() });
    try {
      expect(await sh.exec('echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
      expect((await sh.exec('tr a-z A-Z', { stdin: 'hello box\n' })).stdout).toBe('HELLO BOX\n');
      const chunks: string[] = [];
      await sh.exec('for i in 1 2 3; do echo line$i; done', { onStdout: (c) => chunks.push(c) });
      expect(chunks.join('')).toBe('line1\nline2\nline3\n');
      const t = await refusal(sh.exec('sleep 30', { timeoutMs: 500 }));
      expect(t.code).toBe('SHELL_TIMEOUT');
    } finally {
      await sh.close();
    }
  });

  it('names a wrong user or key as a refused login', async () => {
    const other = await startSshd();
    try {
      const e = await refusal(SshShell.connect({ ...target, port: other.port }, { knownHosts: store() }));
      expect(e.code).toBe('SSH_AUTH_FAILED');
      expect(e.text.en).toContain(`root@127.0.0.1:${other.port}`);
    } finally {
      await other.stop();
    }
  });

  it('says a closed port is unreachable', async () => {
    const e = await refusal(SshShell.connect({ ...target, port: 1 }, { knownHosts: store() }));
    expect(e.code).toBe('SSH_UNREACHABLE');
    expect(e.text.zh).toContain('无法连接');
  });

  it('uploads over SFTP, verified by the sha256sum of the copy on the box', async () => {
    const sh = await SshShell.connect(target, { knownHosts: store() });
    try {
      const dir = tempDir();
      const src = path.join(dir, 'bundle.tar');
      fs.writeFileSync(src, randomBytes(9 * 1024 * 1024 + 123));
      const dest = path.join(tempDir(), 'uploaded.tar');
      const seen: number[] = [];
      await sh.upload(src, dest, { onProgress: (d) => seen.push(d) });
      expect(createHash('sha256').update(fs.readFileSync(dest)).digest('hex')).toBe(createHash('sha256').update(fs.readFileSync(src)).digest('hex'));
      expect(fs.existsSync(`${dest}.part`)).toBe(false);
      expect(seen.at(-1)).toBe(fs.statSync(src).size);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      // OpenSSH's sftp-server allows 255 KiB writes (limits@openssh.com), and they are used: about 37 writes, not 288 of 32 KiB.
      expect(seen.length).toBeLessThan(60);
    } finally {
      await sh.close();
    }
  });

  it('resumes an upload cut off mid-way from the last verified offset, not from zero', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'bundle.tar');
    const size = 48 * 1024 * 1024;
    fs.writeFileSync(src, randomBytes(size));
    const dest = path.join(tempDir(), 'resumed.tar');
    const known = store();
    const sh = await SshShell.connect(target, { knownHosts: known });
    let cut = 0;
    const e = await refusal(
      sh.upload(src, dest, {
        onProgress: (d) => {
          // Cut at half way: a resume keeps all but the last window of writes (4 MiB), so well over a quarter.
          if (!cut && d > size / 2) {
            cut = d;
            sh.destroyForTest();
          }
        },
      }),
    );
    expect(['SSH_CONNECTION_LOST', 'UPLOAD_FAILED']).toContain(e.code);
    const partial = fs.statSync(`${dest}.part`).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(size);

    const again = await SshShell.connect(target, { knownHosts: known });
    const progress: number[] = [];
    await again.upload(src, dest, { onProgress: (d) => progress.push(d) });
    await again.close();
    // The first progress report of the second upload already counts the kept part.
    expect(progress[0]).toBeGreaterThan(size / 4);
    expect(progress[0]).toBeLessThanOrEqual(partial);
    expect(createHash('sha256').update(fs.readFileSync(dest)).digest('hex')).toBe(createHash('sha256').update(fs.readFileSync(src)).digest('hex'));
  });

  it('refuses a copy whose content differs and deletes it', async () => {
    const sh = await SshShell.connect(target, { knownHosts: store() });
    try {
      const src = path.join(tempDir(), 'b.tar');
      fs.writeFileSync(src, randomBytes(1024 * 1024));
      const dest = path.join(tempDir(), 'b.tar');
      const e = await refusal(sh.upload(src, dest, { sha256: 'f'.repeat(64) }));
      expect(e.code).toBe('UPLOAD_CORRUPT');
      expect(fs.existsSync(`${dest}.part`)).toBe(false);
      expect(fs.existsSync(dest)).toBe(false);
    } finally {
      await sh.close();
    }
  });
});

describe.skipIf(!hasSshd())('SSH transport against an old box (CBC ciphers only)', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd({ extraConfig: ['Ciphers aes128-cbc'] });
  });
  afterAll(async () => sshd?.stop());

  it('names the missing algorithm, and connects once the legacy algorithms are on', async () => {
    const t: SshTarget = { host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey };
    const e = await refusal(SshShell.connect(t, { knownHosts: store() }));
    expect(e.code).toBe('SSH_NO_ALGORITHM');
    expect(e.text.en).toContain('legacy');
    const sh = await SshShell.connect({ ...t, algorithms: LEGACY_ALGORITHMS }, { knownHosts: store() });
    expect((await sh.exec('echo ok')).stdout).toBe('ok\n');
    await sh.close();
  });
});

describe.skipIf(!hasSshd())('SSH keys with a passphrase', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd({ keyPassphrase: 'key pass 123' });
  });
  afterAll(async () => sshd?.stop());

  it('logs in with the passphrase and names a missing or wrong one', async () => {
    const t: SshTarget = { host: '127.0.0.1', port: sshd.port, username: 'root', privateKey: sshd.clientKey };
    expect((await refusal(SshShell.connect(t, { knownHosts: store() }))).code).toBe('SSH_KEY_PASSPHRASE');
    expect((await refusal(SshShell.connect({ ...t, passphrase: 'wrong' }, { knownHosts: store() }))).code).toBe('SSH_KEY_PASSPHRASE');
    const sh = await SshShell.connect({ ...t, passphrase: 'key pass 123' }, { knownHosts: store() });
    expect((await sh.exec('id -u')).stdout.trim()).toBe('0');
    await sh.close();
  });
});

describe('SFTP write shape', () => {
  it('writes as large as the server allows, never larger, with about 4 MiB in flight', () => {
    // OpenSSH 9's limits@openssh.com: 255 KiB writes.
    expect(sftpWriteShape(261_120)).toEqual({ chunk: 255 * 1024, parallel: 17 });
    // ssh2's assumption for a server that says nothing (34000 minus its 2 KiB overhead): 31 KiB, not a 32 KiB write ssh2 would split.
    expect(sftpWriteShape(34_000 - 2048)).toEqual({ chunk: 31 * 1024, parallel: 64 });
    expect(sftpWriteShape(undefined)).toEqual({ chunk: 32 * 1024, parallel: 64 });
    // A server allowing huge writes still gets 256 KiB ones, at least 8 in flight.
    expect(sftpWriteShape(4 * 1024 * 1024)).toEqual({ chunk: 256 * 1024, parallel: 16 });
    expect(sftpWriteShape(100)).toEqual({ chunk: 1024, parallel: 64 });
  });
});
