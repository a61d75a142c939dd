import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { licensingSchema, StationKeys } from '../../main/licensing';
import { Store } from '../../main/store';
import { tempDir } from '../support/tmp';

function keys() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [licensingSchema]);
  return { dir, store, keys: new StationKeys(store.db, path.join(dir, 'keys')) };
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
  it('makes one P-256 key on first use, keeps it (private half 0600 on disk), and signs what openssl verifies', () => {
    const { keys: k, dir, store } = keys();
    const key = k.current();
    expect(k.current().id).toBe(key.id);
    const file = path.join(dir, 'keys', `${key.id}.pem`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(execFileSync('openssl', ['pkey', '-in', file, '-noout', '-text']).toString()).toContain('prime256v1');
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

  it('says which key file is unreadable instead of signing with nothing', () => {
    const { keys: k, dir, store } = keys();
    const id = k.current().id;
    fs.writeFileSync(path.join(dir, 'keys', `${id}.pem`), 'garbage');
    expect(() => k.sign('edgeforge.batch.license.v1', Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'STATION_KEY_UNREADABLE' }));
    store.close();
  });
});
