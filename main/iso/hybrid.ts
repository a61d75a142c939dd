/**
 * Hybrid ISOs (bootable from a USB stick) carry an MBR and often a GPT in the
 * system area (the first 32 KiB). A remaster that grows the image must move
 * the partitions that end at the image's end, and the GPT's backup header,
 * which lives in the last sector. Partitions that point at data kept in place
 * (the EFI image) stay as they are.
 *
 * Specs: UEFI 2.10 §5.2.1 (legacy MBR), §5.3.2 (GPT header, CRC32 over the
 * header with its CRC field zeroed), §5.3.3 (partition entries).
 */
import * as zlib from 'node:zlib';

const SECTOR = 512;
const crc32 = (b: Buffer) => (zlib as unknown as { crc32: (b: Buffer) => number }).crc32(b) >>> 0;

export interface HybridPatch {
  systemArea: Buffer;
  /** Backup GPT (entries, then header) for the image's last sectors, or null without a GPT. */
  backupGpt: Buffer | null;
}

/** Sectors the backup GPT needs at the end: the entry array, then the header. */
export function backupGptSectors(systemArea: Buffer): number {
  if (systemArea.toString('latin1', SECTOR, SECTOR + 8) !== 'EFI PART') return 0;
  const h = systemArea.subarray(SECTOR, SECTOR * 2);
  return Math.ceil((h.readUInt32LE(80) * h.readUInt32LE(84)) / SECTOR) + 1;
}

export function patchHybrid(systemArea: Buffer, oldBytes: number, newBytes: number): HybridPatch {
  const sa = Buffer.from(systemArea);
  const oldSectors = Math.floor(oldBytes / SECTOR);
  const newSectors = Math.floor(newBytes / SECTOR);
  if (sa[510] === 0x55 && sa[511] === 0xaa) {
    for (let p = 0; p < 4; p++) {
      const e = 446 + p * 16;
      const type = sa[e + 4]!;
      if (type === 0) continue;
      const start = sa.readUInt32LE(e + 8);
      const count = sa.readUInt32LE(e + 12);
      // The protective entry, and any partition that ran to the old end, now run to the new end.
      if (type === 0xee || start + count >= oldSectors - 1) sa.writeUInt32LE(Math.min(0xffffffff, newSectors - start), e + 12);
    }
  }
  if (sa.toString('latin1', SECTOR, SECTOR + 8) !== 'EFI PART') return { systemArea: sa, backupGpt: null };
  const h = sa.subarray(SECTOR, SECTOR * 2);
  const headerSize = h.readUInt32LE(12);
  const entriesLba = Number(h.readBigUInt64LE(72));
  const count = h.readUInt32LE(80);
  const size = h.readUInt32LE(84);
  const oldLastUsable = Number(h.readBigUInt64LE(48));
  const entryBytes = count * size;
  if ((entriesLba + Math.ceil(entryBytes / SECTOR)) * SECTOR > sa.length) return { systemArea: sa, backupGpt: null };
  const entries = sa.subarray(entriesLba * SECTOR, entriesLba * SECTOR + entryBytes);
  const last = newSectors - 1;
  const entrySectors = Math.ceil(entryBytes / SECTOR);
  const lastUsable = last - entrySectors - 1;
  for (let i = 0; i < count; i++) {
    const e = entries.subarray(i * size, (i + 1) * size);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const end = Number(e.readBigUInt64LE(40));
    if (end >= oldLastUsable) e.writeBigUInt64LE(BigInt(lastUsable), 40);
  }
  const entriesCrc = crc32(entries);
  const header = (myLba: number, altLba: number, arrayLba: number) => {
    const b = Buffer.from(h.subarray(0, headerSize));
    b.writeBigUInt64LE(BigInt(myLba), 24);
    b.writeBigUInt64LE(BigInt(altLba), 32);
    b.writeBigUInt64LE(BigInt(lastUsable), 48);
    b.writeBigUInt64LE(BigInt(arrayLba), 72);
    b.writeUInt32LE(entriesCrc, 88);
    b.writeUInt32LE(0, 16);
    b.writeUInt32LE(crc32(b), 16);
    return b;
  };
  header(1, last, entriesLba).copy(sa, SECTOR);
  const backup = Buffer.alloc((entrySectors + 1) * SECTOR);
  entries.copy(backup, 0);
  header(last, 1, last - entrySectors).copy(backup, entrySectors * SECTOR);
  return { systemArea: sa, backupGpt: backup };
}
