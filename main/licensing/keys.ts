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
 * The private key is sealed at rest by the SecretVault (OS keychain or
 * passphrase) in <home>/keys/<id>.key; its public half and id are in the
 * store. A backup is the private key as an encrypted PKCS#8 PEM (PBES2,
 * AES-256-CBC), which `openssl pkey` reads with the backup's passphrase.
 */
import { p256 } from '@noble/curves/nist.js';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify as verifySignature, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';
import { weakPassphrase, type SecretVault } from '../secrets';
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
export type SignatureDomain =
  | 'edgeforge.bundle.manifest.v1'
  | 'edgeforge.batch.license.v1'
  | 'edgeforge.activation.certificate.v1'
  | 'edgeforge.delegation.v1'
  | 'edgeforge.delegation.return.v1'
  | 'edgeforge.report.v1';

export interface StationKey {
  /** sha256 of the SubjectPublicKeyInfo (DER), hex. */
  id: string;
  publicKeyPem: string;
  /** Compressed SEC1 point, 66 hex digits: how certificates name their signer (docs/activation.md §3). */
  publicKeyHex: string;
  createdAt: string;
  retiredAt: string | null;
}

export const KeyErrors = {
  STATION_KEY_UNREADABLE: 'STATION_KEY_UNREADABLE',
  KEY_BACKUP_INVALID: 'KEY_BACKUP_INVALID',
  KEY_BACKUP_PASSPHRASE: 'KEY_BACKUP_PASSPHRASE',
  PUBLIC_KEY_INVALID: 'PUBLIC_KEY_INVALID',
} as const;

function payload(domain: SignatureDomain, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${domain}\n`, 'ascii'), bytes]);
}

interface KeyRow {
  id: string;
  public_pem: string;
  created_at: string;
  retired_at: string | null;
}

const toKey = (r: KeyRow): StationKey => ({
  id: r.id,
  publicKeyPem: r.public_pem,
  publicKeyHex: compressedPublicKey(r.public_pem),
  createdAt: r.created_at,
  retiredAt: r.retired_at,
});

export class StationKeys {
  /** Unsealed secret scalars, while the vault is open. */
  private readonly secrets = new Map<string, Uint8Array>();

  constructor(
    private readonly db: Db,
    private readonly dir: string,
    private readonly vault: SecretVault,
  ) {}

  /** The station's signing key, made on first use (the vault must be open). */
  current(): StationKey {
    const row = this.db.prepare('SELECT * FROM licensing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1').get() as KeyRow | undefined;
    if (row) return toKey(row);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return this.store(privateKey);
  }

  /** The current key when there is one, without making one. */
  peek(): StationKey | null {
    const row = this.db.prepare('SELECT * FROM licensing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1').get() as KeyRow | undefined;
    return row ? toKey(row) : null;
  }

  list(): StationKey[] {
    return (this.db.prepare('SELECT * FROM licensing_keys ORDER BY created_at DESC').all() as KeyRow[]).map(toKey);
  }

  /** A key of this station by id (also a retired one: bundles keep verifying). */
  get(id: string): StationKey {
    const row = this.db.prepare('SELECT * FROM licensing_keys WHERE id = ?').get(id) as KeyRow | undefined;
    if (!row)
      throw new AppError(KeyErrors.STATION_KEY_UNREADABLE, {
        en: `This station has no key ${id.slice(0, 12)}….`,
        zh: `本工作站没有密钥 ${id.slice(0, 12)}…。`,
      });
    return toKey(row);
  }

  /** The key whose compressed public point is `hex`, if this station holds it. */
  byPublicHex(hex: string): StationKey | null {
    return this.list().find((k) => k.publicKeyHex === hex) ?? null;
  }

  /** Seals and records a private key; it becomes the current key. */
  private store(privateKey: KeyObject): StationKey {
    const publicKey = createPublicKey(privateKey);
    const id = keyId(publicKey);
    this.writeSealed(id, Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db.prepare('UPDATE licensing_keys SET retired_at = ? WHERE retired_at IS NULL AND id <> ?').run(now, id);
      const exists = this.db.prepare('SELECT 1 FROM licensing_keys WHERE id = ?').get(id);
      if (exists) this.db.prepare('UPDATE licensing_keys SET retired_at = NULL WHERE id = ?').run(id);
      else
        this.db
          .prepare('INSERT INTO licensing_keys (id, public_pem, created_at) VALUES (?, ?, ?)')
          .run(id, publicKey.export({ type: 'spki', format: 'pem' }).toString(), now);
    })();
    return this.get(id);
  }

  /** Seals a private key PEM into <dir>/<id>.key (0600), temp file then rename. */
  private writeSealed(id: string, pem: Buffer): void {
    const sealed = this.vault.seal(pem);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${id}.key`);
    const tmp = `${file}.partial-${process.pid}`;
    fs.writeFileSync(tmp, sealed, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  private secret(id: string): Uint8Array {
    const cached = this.secrets.get(id);
    if (cached) return cached;
    const file = path.join(this.dir, `${id}.key`);
    const legacy = path.join(this.dir, `${id}.pem`);
    let pem: string;
    try {
      if (!fs.existsSync(file) && fs.existsSync(legacy)) {
        // Earlier development builds kept the key as a plain PEM: seal it now.
        pem = fs.readFileSync(legacy, 'utf8');
        this.writeSealed(id, Buffer.from(pem));
        fs.rmSync(legacy);
      } else {
        pem = this.vault.open(fs.readFileSync(file), file).toString('utf8');
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError(
        KeyErrors.STATION_KEY_UNREADABLE,
        {
          en: `The station key ${id.slice(0, 12)}… cannot be read from ${file}: ${(e as Error).message}. Restore it from a key backup (Settings › Station key › Import).`,
          zh: `无法从 ${file} 读取工作站密钥 ${id.slice(0, 12)}…：${(e as Error).message}。请从密钥备份恢复（设置 › 工作站密钥 › 导入）。`,
        },
        { file, cause: e },
      );
    }
    const scalar = secretScalar(pem);
    this.secrets.set(id, scalar);
    return scalar;
  }

  /** Forgets unsealed keys (the vault was locked). */
  forget(): void {
    this.secrets.clear();
  }

  /** DER ECDSA P-256/SHA-256 signature of "<domain>\n" + bytes, deterministic (RFC 6979). */
  sign(domain: SignatureDomain, bytes: Uint8Array, keyIdToUse = this.current().id): Buffer {
    return Buffer.from(p256.sign(payload(domain, bytes), this.secret(keyIdToUse), { format: 'der', prehash: true }));
  }

  /** The same signature as r ‖ s (64 bytes), for typed codes. */
  signCompact(domain: SignatureDomain, bytes: Uint8Array, keyIdToUse = this.current().id): Buffer {
    return Buffer.from(p256.sign(payload(domain, bytes), this.secret(keyIdToUse), { format: 'compact', prehash: true }));
  }

  /** The current private key as an encrypted PKCS#8 PEM (openssl pkey reads it with the passphrase). */
  exportBackup(passphrase: string): { pem: string; key: StationKey } {
    const weak = weakPassphrase(passphrase);
    if (weak) throw weak;
    const key = this.current();
    const pkcs8 = createPrivateKey({ key: Buffer.from(pkcs8Der(this.secret(key.id), key.publicKeyPem)), format: 'der', type: 'pkcs8' });
    const pem = pkcs8.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
    return { pem, key };
  }

  /** Makes a backed-up key this station's current key (the previous one is retired, kept for verifying). */
  importBackup(pem: string, passphrase: string): StationKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem', passphrase });
    } catch (e) {
      const msg = (e as Error).message;
      if (/bad decrypt|wrong|passphrase|decrypt/i.test(msg))
        throw new AppError(KeyErrors.KEY_BACKUP_PASSPHRASE, { en: 'The backup’s passphrase is wrong.', zh: '备份口令不正确。' }, { field: ['passphrase'] });
      throw new AppError(
        KeyErrors.KEY_BACKUP_INVALID,
        {
          en: `This is not an EdgeForge station key backup (an encrypted PKCS#8 PEM): ${msg}.`,
          zh: `这不是 EdgeForge 工作站密钥备份（加密的 PKCS#8 PEM）：${msg}。`,
        },
        { field: ['pem'] },
      );
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new AppError(
        KeyErrors.KEY_BACKUP_INVALID,
        { en: 'The backup holds a key that is not ECDSA P-256.', zh: '该备份中的密钥不是 ECDSA P-256。' },
        { field: ['pem'] },
      );
    this.secrets.clear();
    return this.store(key);
  }

  /** Checks a signature as a box does (OpenSSL semantics, through node:crypto). */
  static verify(publicKeyPem: string, domain: SignatureDomain, bytes: Uint8Array, signature: Uint8Array): boolean {
    return verifySignature('sha256', payload(domain, bytes), createPublicKey(publicKeyPem), signature);
  }

  /** Checks an r ‖ s signature by a compressed public point. */
  static verifyCompact(publicKeyHex: string, domain: SignatureDomain, bytes: Uint8Array, signature: Uint8Array): boolean {
    try {
      return p256.verify(signature, payload(domain, bytes), Buffer.from(publicKeyHex, 'hex'), { prehash: true, format: 'compact' });
    } catch {
      return false;
    }
  }
}

function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The id a station key gets (sha256 of its SubjectPublicKeyInfo DER) from its PEM. */
export function publicKeyId(pem: string): string {
  return keyId(createPublicKey(pem));
}

/** SHA-256 of the SPKI, as "SHA256:" + base64 (the form ssh-keygen shows): what a person compares. */
export function keyFingerprint(pem: string): string {
  return (
    'SHA256:' +
    createHash('sha256')
      .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
      .digest('base64')
      .replace(/=+$/, '')
  );
}

/** The compressed SEC1 point (66 hex digits) of a P-256 public key PEM. */
export function compressedPublicKey(pem: string): string {
  const jwk = createPublicKey(pem).export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([Buffer.from([y[y.length - 1]! & 1 ? 3 : 2]), x]).toString('hex');
}

// SubjectPublicKeyInfo prefix of a P-256 key with a compressed point (RFC 5480 §2).
const SPKI_P256_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

/** A P-256 public key PEM from a compressed point, or a specific error. */
export function publicKeyFromHex(hex: string, field: string[] = ['publicKey']): string {
  if (!/^0[23][0-9a-f]{64}$/.test(hex))
    throw new AppError(
      KeyErrors.PUBLIC_KEY_INVALID,
      { en: 'A station public key is 66 hex digits starting with 02 or 03.', zh: '工作站公钥为以 02 或 03 开头的 66 位十六进制数。' },
      { field },
    );
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new AppError(
      KeyErrors.PUBLIC_KEY_INVALID,
      { en: 'That is not a point on the P-256 curve: the public key was mistyped.', zh: '该值不是 P-256 曲线上的点：公钥输入有误。' },
      { field },
    );
  }
}

/** Reads a station public key given as PEM or as 66 hex digits. */
export function parsePublicKey(text: string, field: string[] = ['publicKey']): { pem: string; hex: string } {
  const t = text.trim();
  if (/^0[23][0-9a-fA-F]{64}$/.test(t)) {
    const pem = publicKeyFromHex(t.toLowerCase(), field);
    return { pem, hex: t.toLowerCase() };
  }
  try {
    const key = createPublicKey(t);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
    const pem = key.export({ type: 'spki', format: 'pem' }).toString();
    return { pem, hex: compressedPublicKey(pem) };
  } catch {
    throw new AppError(
      KeyErrors.PUBLIC_KEY_INVALID,
      {
        en: 'That is not a station public key: paste the PEM ("-----BEGIN PUBLIC KEY-----") or the 66 hex digits shown in the other station’s Settings.',
        zh: '这不是工作站公钥：请粘贴 PEM（“-----BEGIN PUBLIC KEY-----”）或对方工作站“设置”中显示的 66 位十六进制数。',
      },
      { field },
    );
  }
}

/** The secret scalar of a PKCS#8 PEM private key, checked to be EC P-256. */
function secretScalar(pem: string): Uint8Array {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not an EC P-256 private key');
  return Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
}

/** PKCS#8 DER of a P-256 key from its scalar and public PEM (through JWK). */
function pkcs8Der(scalar: Uint8Array, publicPem: string): Buffer {
  const pub = createPublicKey(publicPem).export({ format: 'jwk' });
  const key = createPrivateKey({ key: { ...pub, d: Buffer.from(scalar).toString('base64url') }, format: 'jwk' });
  return key.export({ type: 'pkcs8', format: 'der' });
}
