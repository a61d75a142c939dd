/**
 * Station keys: the ECDSA P-256 key a station signs batch licenses, bundle
 * manifests and (with the activation issue) activation certificates with.
 *
 * Why P-256 / SHA-256: boxes verify with the system `openssl`, and CentOS 7's
 * OpenSSL 1.0.2 has no Ed25519 (DESIGN.md §3). Signatures are deterministic
 * (RFC 6979, via @noble/curves) so that a bundle built twice from the same
 * inputs has the same bytes, and DER-encoded as `openssl dgst -verify` wants.
 * Every signature covers a domain-prefixed payload ("<domain>\n" + bytes), so
 * a signature made for one kind of document never verifies as another.
 *
 * The private key is a PKCS#8 PEM file under <home>/keys, mode 0600, readable
 * only by the station's OS user. Its public half and id are in the store.
 */
import { p256 } from '@noble/curves/nist.js';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify as verifySignature, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import type { Db, Migration } from '../store';

export const keysMigration: Migration = {
  version: 1,
  name: 'station keys',
  up: (db) =>
    db.exec(`
      CREATE TABLE licensing_keys (
        id TEXT PRIMARY KEY,
        public_pem TEXT NOT NULL,
        created_at TEXT NOT NULL,
        retired_at TEXT
      );
    `),
};

/** What a signature is for; part of the signed payload. */
export type SignatureDomain = 'edgeforge.bundle.manifest.v1' | 'edgeforge.batch.license.v1' | 'edgeforge.activation.certificate.v1';

export interface StationKey {
  /** sha256 of the SubjectPublicKeyInfo (DER), hex. */
  id: string;
  publicKeyPem: string;
  createdAt: string;
}

export const KeyErrors = { STATION_KEY_UNREADABLE: 'STATION_KEY_UNREADABLE' } as const;

function payload(domain: SignatureDomain, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${domain}\n`, 'ascii'), bytes]);
}

export class StationKeys {
  constructor(
    private readonly db: Db,
    private readonly dir: string,
  ) {}

  /** The station's signing key, made on first use. */
  current(): StationKey {
    const row = this.db.prepare('SELECT id, public_pem, created_at FROM licensing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1').get() as
      { id: string; public_pem: string; created_at: string } | undefined;
    if (row) return { id: row.id, publicKeyPem: row.public_pem, createdAt: row.created_at };
    return this.create();
  }

  /** A key of this station by id (also a retired one: bundles keep verifying). */
  get(id: string): StationKey {
    const row = this.db.prepare('SELECT id, public_pem, created_at FROM licensing_keys WHERE id = ?').get(id) as
      { id: string; public_pem: string; created_at: string } | undefined;
    if (!row)
      throw new AppError(KeyErrors.STATION_KEY_UNREADABLE, {
        en: `This station has no key ${id.slice(0, 12)}….`,
        zh: `本工作站没有密钥 ${id.slice(0, 12)}…。`,
      });
    return { id: row.id, publicKeyPem: row.public_pem, createdAt: row.created_at };
  }

  private create(): StationKey {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const id = keyId(publicKey);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${id}.pem`);
    const tmp = `${file}.partial-${process.pid}`;
    fs.writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.renameSync(tmp, file);
    const createdAt = new Date().toISOString();
    this.db.prepare('INSERT INTO licensing_keys (id, public_pem, created_at) VALUES (?, ?, ?)').run(id, publicKeyPem, createdAt);
    return { id, publicKeyPem, createdAt };
  }

  private secret(id: string): Uint8Array {
    const file = path.join(this.dir, `${id}.pem`);
    try {
      return secretScalar(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new AppError(
        KeyErrors.STATION_KEY_UNREADABLE,
        {
          en: `The station key ${id.slice(0, 12)}… cannot be read from ${file}: ${(e as Error).message}. Restore the keys folder from a backup.`,
          zh: `无法从 ${file} 读取工作站密钥 ${id.slice(0, 12)}…：${(e as Error).message}。请从备份恢复 keys 文件夹。`,
        },
        { file, cause: e },
      );
    }
  }

  /** DER ECDSA P-256/SHA-256 signature of "<domain>\n" + bytes, deterministic (RFC 6979). */
  sign(domain: SignatureDomain, bytes: Uint8Array, keyIdToUse = this.current().id): Buffer {
    return Buffer.from(p256.sign(payload(domain, bytes), this.secret(keyIdToUse), { format: 'der', prehash: true }));
  }

  /** Checks a signature as a box does (OpenSSL semantics, through node:crypto). */
  static verify(publicKeyPem: string, domain: SignatureDomain, bytes: Uint8Array, signature: Uint8Array): boolean {
    return verifySignature('sha256', payload(domain, bytes), createPublicKey(publicKeyPem), signature);
  }
}

function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The secret scalar of a PKCS#8 PEM private key, checked to be EC P-256. */
function secretScalar(pem: string): Uint8Array {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not an EC P-256 private key');
  return Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
}
