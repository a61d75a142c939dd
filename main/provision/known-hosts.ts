/**
 * The station's own known-hosts store (DESIGN §3b "SSH"): one host key per
 * host and port, trusted on first use and shown by its OpenSSH-style
 * SHA256 fingerprint. A different key later is refused until the user
 * re-trusts it (after a reinstall, say); nothing is ever replaced silently.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store';

export interface KnownHost {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  firstSeen: string;
  trustedAt: string;
}

/** `SHA256:<base64 without padding>` of the key blob, as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the head of an SSH public key blob (RFC 4253 §6.6): string, then the key's fields. */
export function hostKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

interface Row {
  host: string;
  port: number;
  key_type: string;
  key: Buffer;
  fingerprint: string;
  first_seen: string;
  trusted_at: string;
}

export type HostKeyVerdict =
  | { kind: 'known'; fingerprint: string }
  | { kind: 'new'; fingerprint: string; keyType: string }
  | { kind: 'changed'; fingerprint: string; keyType: string; expected: KnownHost };

/** What an SSH connection needs of a known-hosts store. */
export interface HostKeyStore {
  check(host: string, port: number, blob: Buffer): HostKeyVerdict;
  remember(host: string, port: number, blob: Buffer): void;
  retrust(host: string, port: number, blob: Buffer): void;
}

/**
 * One host's entry, carried to a process without the database (the native
 * I/O process): it answers `check` as the store would and keeps what the
 * connection would have recorded, for the store's owner to record.
 */
export class HostKeySnapshot implements HostKeyStore {
  recorded: { kind: 'remember' | 'retrust'; blob: Buffer } | null = null;

  constructor(private readonly known: { host: string; port: number; key: Buffer | null; entry: KnownHost | null }) {}

  check(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const fingerprint = hostKeyFingerprint(blob);
    if (host.toLowerCase() !== this.known.host.toLowerCase() || port !== this.known.port || !this.known.key || !this.known.entry)
      return { kind: 'new', fingerprint, keyType: hostKeyType(blob) };
    if (Buffer.compare(this.known.key, blob) === 0) return { kind: 'known', fingerprint };
    return { kind: 'changed', fingerprint, keyType: hostKeyType(blob), expected: this.known.entry };
  }

  remember(_host: string, _port: number, blob: Buffer): void {
    this.recorded = { kind: 'remember', blob };
  }

  retrust(_host: string, _port: number, blob: Buffer): void {
    this.recorded = { kind: 'retrust', blob };
  }
}

export class KnownHosts implements HostKeyStore {
  constructor(private readonly db: Db) {}

  list(): KnownHost[] {
    return (this.db.prepare('SELECT * FROM provision_known_hosts ORDER BY host, port').all() as Row[]).map(toKnown);
  }

  get(host: string, port: number): KnownHost | null {
    const row = this.db.prepare('SELECT * FROM provision_known_hosts WHERE host=? AND port=?').get(host.toLowerCase(), port) as Row | undefined;
    return row ? toKnown(row) : null;
  }

  /** The entry and its key blob, for a HostKeySnapshot in another process. */
  snapshot(host: string, port: number): { host: string; port: number; key: Buffer | null; entry: KnownHost | null } {
    const row = this.db.prepare('SELECT * FROM provision_known_hosts WHERE host=? AND port=?').get(host.toLowerCase(), port) as Row | undefined;
    return { host, port, key: row ? Buffer.from(row.key) : null, entry: row ? toKnown(row) : null };
  }

  /** What the presented key means for this host; records nothing. */
  check(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const fingerprint = hostKeyFingerprint(blob);
    const row = this.db.prepare('SELECT * FROM provision_known_hosts WHERE host=? AND port=?').get(host.toLowerCase(), port) as Row | undefined;
    if (!row) return { kind: 'new', fingerprint, keyType: hostKeyType(blob) };
    if (Buffer.compare(row.key, blob) === 0) return { kind: 'known', fingerprint };
    return { kind: 'changed', fingerprint, keyType: hostKeyType(blob), expected: toKnown(row) };
  }

  /** Trust on first use: records a key only when the host has none. */
  remember(host: string, port: number, blob: Buffer): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO provision_known_hosts (host, port, key_type, key, fingerprint, first_seen, trusted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(host, port) DO NOTHING`,
      )
      .run(host.toLowerCase(), port, hostKeyType(blob), blob, hostKeyFingerprint(blob), now, now);
  }

  /** Forgets a host (the user removed it from the list); its next connection is a first use again. */
  forget(host: string, port: number): boolean {
    return this.db.prepare('DELETE FROM provision_known_hosts WHERE host=? AND port=?').run(host.toLowerCase(), port).changes > 0;
  }

  /** Replaces the recorded key with one whose fingerprint the user confirmed. */
  retrust(host: string, port: number, blob: Buffer): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO provision_known_hosts (host, port, key_type, key, fingerprint, first_seen, trusted_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(host, port) DO UPDATE SET key_type=excluded.key_type, key=excluded.key, fingerprint=excluded.fingerprint, trusted_at=excluded.trusted_at`,
      )
      .run(host.toLowerCase(), port, hostKeyType(blob), blob, hostKeyFingerprint(blob), now, now);
  }
}

function toKnown(r: Row): KnownHost {
  return { host: r.host, port: r.port, keyType: r.key_type, fingerprint: r.fingerprint, firstSeen: r.first_seen, trustedAt: r.trusted_at };
}
