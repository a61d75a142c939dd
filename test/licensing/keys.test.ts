import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { licensingSchema, StationKeys } from '../../main/licensing';
import { Store } from '../../main/store';
import { tempDir } from '../support/tmp';
import { TEST_PASSPHRASE, unlockedVault } from '../support/vault';
import { SecretVault } from '../../main/secrets';

function keys() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [licensingSchema]);
  return { dir, store, keys: new StationKeys(store.db, path.join(dir, 'keys'), unlockedVault(path.join(dir, 'keys'))) };
}

/** What a box runs: the system openssl over "<domain>\n" + file. */
function opensslVerifies(pubPem: string, domain: string, bytes: Buffer, sig: Buffer): boolean {
  const d = tempDir();
  fs.writeFileSync(path.join(d, 'pub.pem'), pubPem);
  fs.writeFileSync(path.join(d, 'sig'), sig);
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', path.join(d, 'pub.pem'), '-signature', path.join(d, 'sig')], {
    input: Buffer.concat([Buffer.from(`${domain}\n`), bytes]),
  });
  return r.status === 0 && r.stdout.toString().includes('Verified OK');
}

describe('station keys', () => {
  it('makes one P-256 key on first use, keeps it sealed on disk (0600, no PEM in clear), and signs what openssl verifies', () => {
    const { keys: k, dir, store } = keys();
    const key = k.current();
    expect(k.current().id).toBe(key.id);
    const file = path.join(dir, 'keys', `${key.id}.key`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const sealed = fs.readFileSync(file);
    expect(sealed.subarray(0, 4).toString()).toBe('EFP1');
    expect(sealed.toString('latin1')).not.toContain('PRIVATE KEY');
    expect(fs.readdirSync(path.join(dir, 'keys')).filter((f) => f.endsWith('.pem'))).toEqual([]);
    const doc = Buffer.from('{"batch":"bat_1"}\n');
    const sig = k.sign('edgeforge.batch.license.v1', doc);
    expect(opensslVerifies(key.publicKeyPem, 'edgeforge.batch.license.v1', doc, sig)).toBe(true);
    expect(StationKeys.verify(key.publicKeyPem, 'edgeforge.batch.license.v1', doc, sig)).toBe(true);
    store.close();
  });

  it('signs deterministically, and a signature for one domain or document does not verify for another', () => {
    const { keys: k, store } = keys();
    const doc = Buffer.from('manifest bytes');
    const a = k.sign('edgeforge.bundle.manifest.v1', doc);
    expect(k.sign('edgeforge.bundle.manifest.v1', doc).equals(a)).toBe(true);
    const pub = k.current().publicKeyPem;
    expect(opensslVerifies(pub, 'edgeforge.batch.license.v1', doc, a)).toBe(false);
    expect(opensslVerifies(pub, 'edgeforge.bundle.manifest.v1', Buffer.from('manifest byteS'), a)).toBe(false);
    store.close();
  });

  it('says which key file is unreadable or tampered with instead of signing with nothing', () => {
    const { keys: k, dir, store } = keys();
    const id = k.current().id;
    const file = path.join(dir, 'keys', `${id}.key`);
    const sealed = fs.readFileSync(file);
    sealed[sealed.length - 1] = sealed[sealed.length - 1]! ^ 1;
    fs.writeFileSync(file, sealed);
    const fresh = new StationKeys(store.db, path.join(dir, 'keys'), unlockedVault(path.join(dir, 'keys')));
    expect(() => fresh.sign('edgeforge.batch.license.v1', Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'VAULT_CORRUPT' }));
    fs.rmSync(file);
    expect(() =>
      new StationKeys(store.db, path.join(dir, 'keys'), unlockedVault(path.join(dir, 'keys'))).sign('edgeforge.batch.license.v1', Buffer.from('x')),
    ).toThrow(expect.objectContaining({ code: 'STATION_KEY_UNREADABLE' }));
    store.close();
  });
});

describe('secrets at rest', () => {
  it('a locked passphrase vault refuses to make or use a key, names the fix, and a wrong passphrase is refused', () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'db.sqlite'), [licensingSchema]);
    const vault = new SecretVault(path.join(dir, 'keys'));
    expect(vault.state()).toEqual({ method: 'passphrase', initialised: false, locked: true });
    const k = new StationKeys(store.db, path.join(dir, 'keys'), vault);
    expect(() => k.current()).toThrow(expect.objectContaining({ code: 'VAULT_LOCKED', message: expect.stringContaining('no passphrase yet') }));
    expect(() => vault.unlock('short')).toThrow(expect.objectContaining({ code: 'VAULT_PASSPHRASE_WEAK' }));
    vault.unlock(TEST_PASSPHRASE);
    const id = k.current().id;
    const sig = k.sign('edgeforge.report.v1', Buffer.from('r'));
    // A new process: locked until the right passphrase is typed.
    const again = new SecretVault(path.join(dir, 'keys'));
    const k2 = new StationKeys(store.db, path.join(dir, 'keys'), again);
    expect(() => k2.sign('edgeforge.report.v1', Buffer.from('r'), id)).toThrow(
      expect.objectContaining({ code: 'VAULT_LOCKED', message: expect.stringContaining('Settings') }),
    );
    expect(() => again.unlock('not the passphrase')).toThrow(expect.objectContaining({ code: 'VAULT_PASSPHRASE_WRONG' }));
    again.unlock(TEST_PASSPHRASE);
    expect(k2.sign('edgeforge.report.v1', Buffer.from('r'), id).equals(sig)).toBe(true);
    store.close();
  });

  it('seals with the OS keychain when the desktop app hands one in (nothing to type), and the headless host then says it cannot open them', () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'db.sqlite'), [licensingSchema]);
    // A keychain that really encrypts (AES-GCM under its own key), standing for Electron safeStorage.
    const kcKey = randomBytes(32);
    const keychain = {
      available: () => true,
      encrypt: (b: Buffer) => {
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', kcKey, iv);
        const body = Buffer.concat([c.update(b), c.final()]);
        return Buffer.concat([iv, c.getAuthTag(), body]);
      },
      decrypt: (b: Buffer) => {
        const d = createDecipheriv('aes-256-gcm', kcKey, b.subarray(0, 12));
        d.setAuthTag(b.subarray(12, 28));
        return Buffer.concat([d.update(b.subarray(28)), d.final()]);
      },
    };
    const vault = new SecretVault(path.join(dir, 'keys'), keychain);
    expect(vault.state()).toMatchObject({ method: 'os-keychain', locked: false });
    const k = new StationKeys(store.db, path.join(dir, 'keys'), vault);
    const key = k.current();
    expect(
      fs
        .readFileSync(path.join(dir, 'keys', `${key.id}.key`))
        .subarray(0, 4)
        .toString(),
    ).toBe('EFK1');
    const host = new StationKeys(store.db, path.join(dir, 'keys'), new SecretVault(path.join(dir, 'keys')));
    expect(() => host.sign('edgeforge.report.v1', Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'VAULT_KEYCHAIN_MISSING' }));
    store.close();
  });

  it('exports a passphrase-encrypted PKCS#8 backup that openssl reads, and another station imports it as its key', () => {
    const a = keys();
    const key = a.keys.current();
    expect(() => a.keys.exportBackup('short')).toThrow(expect.objectContaining({ code: 'VAULT_PASSPHRASE_WEAK' }));
    const { pem } = a.keys.exportBackup('backup passphrase 1');
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const f = path.join(a.dir, 'backup.pem');
    fs.writeFileSync(f, pem);
    const text = execFileSync('openssl', ['pkey', '-in', f, '-passin', 'pass:backup passphrase 1', '-pubout']).toString();
    expect(text.replace(/\s+/g, '')).toBe(key.publicKeyPem.replace(/\s+/g, ''));
    expect(spawnSync('openssl', ['pkey', '-in', f, '-passin', 'pass:wrong', '-noout']).status).not.toBe(0);

    const b = keys();
    const own = b.keys.current();
    expect(() => b.keys.importBackup(pem, 'wrong passphrase')).toThrow(expect.objectContaining({ code: 'KEY_BACKUP_PASSPHRASE' }));
    expect(() => b.keys.importBackup('not a key', 'x')).toThrow(expect.objectContaining({ code: 'KEY_BACKUP_INVALID' }));
    const imported = b.keys.importBackup(pem, 'backup passphrase 1');
    expect(imported.id).toBe(key.id);
    expect(b.keys.current().id).toBe(key.id);
    expect(b.keys.get(own.id).retiredAt).not.toBeNull();
    const doc = Buffer.from('same key, same signature');
    expect(b.keys.sign('edgeforge.report.v1', doc).equals(a.keys.sign('edgeforge.report.v1', doc))).toBe(true);
    a.store.close();
    b.store.close();
  });

  it('seals a plain PEM key left by an earlier development build the first time it is used', () => {
    const { keys: k, dir, store } = keys();
    const id = k.current().id;
    const { pem } = k.exportBackup('migration pass');
    const plain = createPrivateKey({ key: pem, passphrase: 'migration pass' }).export({ type: 'pkcs8', format: 'pem' });
    fs.rmSync(path.join(dir, 'keys', `${id}.key`));
    fs.writeFileSync(path.join(dir, 'keys', `${id}.pem`), plain, { mode: 0o600 });
    const fresh = new StationKeys(store.db, path.join(dir, 'keys'), unlockedVault(path.join(dir, 'keys')));
    const sig = fresh.sign('edgeforge.report.v1', Buffer.from('m'), id);
    expect(StationKeys.verify(fresh.get(id).publicKeyPem, 'edgeforge.report.v1', Buffer.from('m'), sig)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'keys', `${id}.pem`))).toBe(false);
    expect(
      fs
        .readFileSync(path.join(dir, 'keys', `${id}.key`))
        .subarray(0, 4)
        .toString(),
    ).toBe('EFP1');
    store.close();
  });
});
