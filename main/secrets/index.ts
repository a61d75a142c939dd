/**
 * Secrets at rest (DESIGN.md §2): station private keys now; box passwords,
 * cluster tokens and kubeconfigs later. A data directory seals its secrets
 * one way, chosen when its first secret is sealed and recorded in
 * <keys>/vault.json:
 *
 *   - 'os-keychain': the desktop app's Electron safeStorage (Keychain on
 *     macOS, DPAPI on Windows, libsecret/kwallet on Linux), handed in by the
 *     shell as an OsKeychain; nothing to type.
 *   - 'passphrase': AES-256-GCM under a key derived from a passphrase with
 *     scrypt (N=2^15, r=8, p=1; RFC 7914), for the headless host and the CLI,
 *     or a desktop without a keychain. The passphrase comes from
 *     EDGEFORGE_PASSPHRASE or is typed in Settings; the vault stays locked
 *     until then and every use of a secret says so.
 *
 * A sealed blob starts with a 4-byte tag: "EFK1" (keychain) or "EFP1"
 * (passphrase: 12-byte IV, 16-byte GCM tag, ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../api/errors';

/** Electron safeStorage, as the desktop shell hands it in. */
export interface OsKeychain {
  available(): boolean;
  encrypt(plain: Buffer): Buffer;
  decrypt(sealed: Buffer): Buffer;
}

export type VaultMethod = 'os-keychain' | 'passphrase';

export interface VaultState {
  method: VaultMethod;
  /** No secret sealed yet: the first passphrase typed becomes the passphrase. */
  initialised: boolean;
  locked: boolean;
}

export const VaultErrors = {
  VAULT_LOCKED: 'VAULT_LOCKED',
  VAULT_PASSPHRASE_WRONG: 'VAULT_PASSPHRASE_WRONG',
  VAULT_PASSPHRASE_WEAK: 'VAULT_PASSPHRASE_WEAK',
  VAULT_KEYCHAIN_MISSING: 'VAULT_KEYCHAIN_MISSING',
  VAULT_CORRUPT: 'VAULT_CORRUPT',
} as const;

export const MIN_PASSPHRASE = 8;

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const CHECK = Buffer.from('edgeforge.vault.check.v1');

interface VaultFile {
  format: 'edgeforge.vault/v1';
  method: VaultMethod;
  kdf?: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  /** CHECK sealed with the passphrase key: proves a typed passphrase right. */
  check?: string;
}

export function weakPassphrase(passphrase: string, field: string[] = ['passphrase']): AppError | null {
  if (passphrase.length >= MIN_PASSPHRASE) return null;
  return new AppError(
    VaultErrors.VAULT_PASSPHRASE_WEAK,
    {
      en: `The passphrase must be at least ${MIN_PASSPHRASE} characters long.`,
      zh: `口令至少需要 ${MIN_PASSPHRASE} 个字符。`,
    },
    { field },
  );
}

export class SecretVault {
  private readonly file: string;
  private key: Buffer | null = null;

  constructor(
    dir: string,
    private readonly keychain?: OsKeychain,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, 'vault.json');
  }

  private read(): VaultFile | null {
    if (!fs.existsSync(this.file)) return null;
    try {
      const v = JSON.parse(fs.readFileSync(this.file, 'utf8')) as VaultFile;
      if (v.format !== 'edgeforge.vault/v1' || (v.method !== 'os-keychain' && v.method !== 'passphrase')) throw new Error('unknown format');
      return v;
    } catch (e) {
      throw new AppError(
        VaultErrors.VAULT_CORRUPT,
        {
          en: `${this.file} cannot be read (${(e as Error).message}). Restore the keys folder from a backup.`,
          zh: `无法读取 ${this.file}（${(e as Error).message}）。请从备份恢复 keys 文件夹。`,
        },
        { file: this.file },
      );
    }
  }

  private write(v: VaultFile): void {
    const tmp = `${this.file}.partial-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(v, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  private keychainUsable(): boolean {
    try {
      return this.keychain?.available() ?? false;
    } catch {
      return false;
    }
  }

  state(): VaultState {
    const v = this.read();
    const method: VaultMethod = v?.method ?? (this.keychainUsable() ? 'os-keychain' : 'passphrase');
    if (method === 'os-keychain') return { method, initialised: v !== null, locked: !this.keychainUsable() };
    return { method, initialised: v !== null, locked: this.key === null };
  }

  /** Unlocks a passphrase vault; on a new data directory, sets the passphrase. */
  unlock(passphrase: string): void {
    const v = this.read();
    if (v?.method === 'os-keychain') return;
    if (!v) {
      if (this.keychainUsable()) {
        this.write({ format: 'edgeforge.vault/v1', method: 'os-keychain' });
        return;
      }
      const weak = weakPassphrase(passphrase);
      if (weak) throw weak;
      const salt = randomBytes(16);
      const key = scryptSync(passphrase.normalize('NFC'), salt, 32, SCRYPT);
      this.key = key;
      this.write({
        format: 'edgeforge.vault/v1',
        method: 'passphrase',
        kdf: { name: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64') },
        check: this.seal(CHECK).toString('base64'),
      });
      return;
    }
    const kdf = v.kdf!;
    const key = scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: SCRYPT.maxmem });
    let ok = false;
    try {
      ok = timingSafeEqual(gcmOpen(key, Buffer.from(v.check!, 'base64').subarray(4)), CHECK);
    } catch {
      ok = false;
    }
    if (!ok)
      throw new AppError(
        VaultErrors.VAULT_PASSPHRASE_WRONG,
        { en: 'That passphrase is not this station’s passphrase.', zh: '口令不正确，不是本工作站的口令。' },
        { field: ['passphrase'] },
      );
    this.key = key;
  }

  lock(): void {
    this.key = null;
  }

  private locked(): AppError {
    const v = this.read();
    if (v?.method === 'os-keychain')
      return new AppError(VaultErrors.VAULT_KEYCHAIN_MISSING, {
        en: 'This data directory’s secrets are sealed with the desktop app’s OS keychain, which is not available here. Use the EdgeForge desktop app on this account.',
        zh: '此数据目录的机密由桌面应用的系统钥匙串加密，而此处无法使用该钥匙串。请在此账户下使用 EdgeForge 桌面应用。',
      });
    return new AppError(VaultErrors.VAULT_LOCKED, {
      en: v
        ? 'The station is locked: type its passphrase in Settings › Station key (or set EDGEFORGE_PASSPHRASE for the CLI).'
        : 'The station has no passphrase yet: choose one in Settings › Station key (or set EDGEFORGE_PASSPHRASE for the CLI). It protects the station’s signing key.',
      zh: v
        ? '工作站已锁定：请在“设置 › 工作站密钥”中输入口令（命令行可设置 EDGEFORGE_PASSPHRASE）。'
        : '工作站尚未设置口令：请在“设置 › 工作站密钥”中设置（命令行可设置 EDGEFORGE_PASSPHRASE）。口令保护工作站的签名密钥。',
    });
  }

  seal(plain: Buffer): Buffer {
    const v = this.read();
    const method = v?.method ?? (this.keychainUsable() ? 'os-keychain' : 'passphrase');
    if (method === 'os-keychain') {
      if (!this.keychainUsable()) throw this.locked();
      if (!v) this.write({ format: 'edgeforge.vault/v1', method: 'os-keychain' });
      return Buffer.concat([Buffer.from('EFK1'), this.keychain!.encrypt(plain)]);
    }
    if (!this.key) throw this.locked();
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from('EFP1'), iv, c.getAuthTag(), body]);
  }

  open(sealed: Buffer, what: string): Buffer {
    const tag = sealed.subarray(0, 4).toString('latin1');
    try {
      if (tag === 'EFK1') {
        if (!this.keychainUsable()) throw this.locked();
        return this.keychain!.decrypt(sealed.subarray(4));
      }
      if (tag === 'EFP1') {
        if (!this.key) throw this.locked();
        return gcmOpen(this.key, sealed.subarray(4));
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw corrupt(what, e as Error);
    }
    throw corrupt(what, new Error('unknown seal'));
  }
}

function gcmOpen(key: Buffer, b: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]);
}

function corrupt(what: string, e: Error): AppError {
  return new AppError(
    VaultErrors.VAULT_CORRUPT,
    {
      en: `${what} cannot be unsealed (${e.message}): it was changed, or sealed by another data directory. Restore it from a backup.`,
      zh: `无法解密 ${what}（${e.message}）：它已被修改，或由其他数据目录加密。请从备份恢复。`,
    },
    { file: what },
  );
}
