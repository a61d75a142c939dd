/**
 * The station's identity as Settings shows it: the vault (how secrets are
 * sealed, locked or not), the current signing key and retired ones, unlock,
 * and key backup / restore.
 */
import type { SecretVault } from '../secrets';
import { keyFingerprint, type StationKey, type StationKeys } from './keys';

export interface StationKeyInfo extends StationKey {
  fingerprint: string;
}

export interface StationStatus {
  vault: ReturnType<SecretVault['state']>;
  key: StationKeyInfo | null;
  retired: StationKeyInfo[];
}

const info = (k: StationKey): StationKeyInfo => ({ ...k, fingerprint: keyFingerprint(k.publicKeyPem) });

export class StationService {
  constructor(
    private readonly vault: SecretVault,
    private readonly keys: StationKeys,
  ) {}

  status(): StationStatus {
    const current = this.keys.peek();
    return {
      vault: this.vault.state(),
      key: current ? info(current) : null,
      retired: this.keys
        .list()
        .filter((k) => k.retiredAt)
        .map(info),
    };
  }

  /** Unlocks (or, on a new data directory, sets the passphrase) and makes the key on first run. */
  unlock(passphrase: string): StationStatus {
    this.vault.unlock(passphrase);
    this.keys.current();
    return this.status();
  }

  lock(): StationStatus {
    this.vault.lock();
    this.keys.forget();
    return this.status();
  }

  /** Makes the station key at start when secrets can be sealed without asking (keychain, or a passphrase given). */
  ensureKey(): void {
    const v = this.vault.state();
    if (!v.locked && !this.keys.peek()) this.keys.current();
  }

  exportKey(passphrase: string): { file: string; fileName: string } {
    const { pem, key } = this.keys.exportBackup(passphrase);
    return { file: pem, fileName: `edgeforge-station-key-${key.id.slice(0, 12)}.pem` };
  }

  importKey(pem: string, passphrase: string): StationStatus {
    this.keys.importBackup(pem, passphrase);
    return this.status();
  }
}
