/**
 * ISO 9660 reader, in TypeScript with no external tools, so that it works on
 * Windows and macOS laptops (CONVENTIONS.md: the ISO module is our own).
 *
 * Specs:
 *   - ECMA-119 (ISO 9660) §8 volume descriptors, §9.1 directory records
 *   - Joliet: Supplementary Volume Descriptor with escape %/@, %/C or %/E, UCS-2 BE names
 *   - Rock Ridge (IEEE P1282 / RRIP 1.12) over SUSP (IEEE P1281): SP, NM, PX, SL entries
 *   - El Torito 1.0 §2: Boot Record Volume Descriptor, boot catalog (validation
 *     entry, initial/default entry, section headers 0x90/0x91, section entries)
 * Reads are positional (fs.readSync at offsets): nothing is loaded whole.
 */
import fs from 'node:fs';

export const SECTOR = 2048;

export interface IsoEntry {
  name: string;
  isDir: boolean;
  lba: number;
  size: number;
  /** Further extents of a multi-extent file (ECMA-119 §9.1.6 flag bit 7). */
  extents: { lba: number; size: number }[];
  mode: number | null;
  symlink: string | null;
}

export interface BootEntry {
  platform: 'bios' | 'uefi' | 'other';
  platformId: number;
  bootable: boolean;
  emulation: 'none' | '1.2M' | '1.44M' | '2.88M' | 'hdd';
  loadSegment: number;
  /** Sectors of 512 bytes the firmware loads (0 or 1 often means "the whole image" for EFI). */
  sectorCount: number;
  lba: number;
}

export interface VolumeInfo {
  label: string;
  volumeSpaceBytes: number;
  blockSize: number;
  joliet: boolean;
  rockRidge: boolean;
  bootCatalogLba: number | null;
  /** The media-check digest that implantisomd5 writes into the PVD's application-use field. */
  implantedMd5: string | null;
  applicationUse: string;
}

export class IsoFormatError extends Error {
  constructor(
    readonly reason: 'not-iso' | 'truncated' | 'bad-boot-catalog',
    message: string,
  ) {
    super(message);
  }
}

function str(buf: Buffer, start: number, len: number): string {
  return buf.toString('latin1', start, start + len).replace(/[\s\0]+$/, '');
}

export class IsoReader {
  private readonly fd: number;
  readonly fileSize: number;
  readonly volume: VolumeInfo;
  private readonly rootPrimary: { lba: number; size: number };
  private readonly rootJoliet: { lba: number; size: number } | null;
  /** SUSP bytes to skip at the start of each system-use area (SP entry's LEN_SKP). */
  private suspSkip = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
    try {
      this.fileSize = fs.fstatSync(this.fd).size;
      let pvd: Buffer | null = null;
      let svd: Buffer | null = null;
      let bootCatalogLba: number | null = null;
      for (let s = 16; s < 16 + 64; s++) {
        const d = this.read(s * SECTOR, SECTOR);
        if (d.toString('latin1', 1, 6) !== 'CD001') {
          throw new IsoFormatError('not-iso', `no ISO 9660 volume descriptor at sector ${s} (ECMA-119 §8.1)`);
        }
        const type = d[0]!;
        if (type === 255) break;
        if (type === 1 && !pvd) pvd = d;
        if (type === 2 && ['%/@', '%/C', '%/E'].includes(d.toString('latin1', 88, 91))) svd = d;
        if (type === 0 && d.toString('latin1', 7, 30) === 'EL TORITO SPECIFICATION') bootCatalogLba = d.readUInt32LE(71);
      }
      if (!pvd) throw new IsoFormatError('not-iso', 'no Primary Volume Descriptor');
      const blockSize = pvd.readUInt16LE(128);
      const volumeSpaceBytes = pvd.readUInt32LE(80) * blockSize;
      if (this.fileSize < volumeSpaceBytes) {
        throw new IsoFormatError('truncated', `the volume is ${volumeSpaceBytes} bytes but the file holds only ${this.fileSize}`);
      }
      const rootRec = pvd.subarray(156, 156 + 34);
      this.rootPrimary = { lba: rootRec.readUInt32LE(2), size: rootRec.readUInt32LE(10) };
      this.rootJoliet = svd ? { lba: svd.readUInt32LE(156 + 2), size: svd.readUInt32LE(156 + 10) } : null;
      const appUse = pvd.toString('latin1', 883, 883 + 512);
      const md5 = /ISO MD5SUM = ([0-9a-f]{32})/.exec(appUse);
      this.volume = {
        label: str(pvd, 40, 32),
        volumeSpaceBytes,
        blockSize,
        joliet: !!svd,
        rockRidge: false,
        bootCatalogLba,
        implantedMd5: md5 ? md5[1]! : null,
        applicationUse: appUse.replace(/[\s\0]+$/, ''),
      };
      this.volume.rockRidge = this.detectRockRidge();
    } catch (e) {
      fs.closeSync(this.fd);
      throw e;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  read(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) throw new IsoFormatError('truncated', `the file ends at ${offset + got} bytes, inside the volume`);
      got += n;
    }
    return buf;
  }

  private detectRockRidge(): boolean {
    // SUSP §5.3: the root directory's "." record starts its system-use area with SP (BE EF).
    const dir = this.read(this.rootPrimary.lba * SECTOR, Math.min(this.rootPrimary.size, SECTOR));
    const len = dir[0]!;
    const nameLen = dir[32]!;
    let su = 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0);
    const end = len;
    if (su + 7 <= end && dir.toString('latin1', su, su + 2) === 'SP' && dir[su + 4] === 0xbe && dir[su + 5] === 0xef) {
      this.suspSkip = dir[su + 6]!;
      // Any RR/PX/NM entry in the root's area confirms Rock Ridge.
      for (; su + 4 <= end; su += dir[su + 2]! || end) {
        const sig = dir.toString('latin1', su, su + 2);
        if (['RR', 'PX', 'NM', 'ER'].includes(sig)) return true;
      }
      return true;
    }
    return false;
  }

  /** Lists a directory, by Rock Ridge names if present, else Joliet, else ISO 9660 names. */
  list(dirPath: string): IsoEntry[] {
    const dir = this.lookupDir(dirPath);
    if (!dir) throw new Error(`no directory ${dirPath} on ${this.file}`);
    return this.readDir(dir.lba, dir.size, dir.joliet);
  }

  private lookupDir(dirPath: string): { lba: number; size: number; joliet: boolean } | null {
    const useJoliet = !this.volume.rockRidge && this.rootJoliet !== null;
    let cur = useJoliet ? { ...this.rootJoliet!, joliet: true } : { ...this.rootPrimary, joliet: false };
    for (const part of dirPath.split('/').filter(Boolean)) {
      const next = this.readDir(cur.lba, cur.size, cur.joliet).find((e) => e.isDir && e.name.toLowerCase() === part.toLowerCase());
      if (!next) return null;
      cur = { lba: next.lba, size: next.size, joliet: cur.joliet };
    }
    return cur;
  }

  /** Finds a file by path (case-insensitive, as firmware and boot loaders do on ISO 9660). */
  find(filePath: string): IsoEntry | null {
    const parts = filePath.split('/').filter(Boolean);
    const name = parts.pop();
    if (!name) return null;
    const dir = this.lookupDir(parts.join('/'));
    if (!dir) return null;
    return this.readDir(dir.lba, dir.size, dir.joliet).find((e) => !e.isDir && e.name.toLowerCase() === name.toLowerCase()) ?? null;
  }

  readFile(entry: IsoEntry, limit = 16 * 1024 * 1024): Buffer {
    if (entry.size > limit) throw new Error(`${entry.name} is ${entry.size} bytes, more than ${limit}`);
    return Buffer.concat([entry, ...entry.extents].map((x) => this.read(x.lba * SECTOR, x.size)));
  }

  private readDir(lba: number, size: number, joliet: boolean): IsoEntry[] {
    const data = this.read(lba * SECTOR, size);
    const out: IsoEntry[] = [];
    let pendingExtents: IsoEntry | null = null;
    for (let off = 0; off < data.length;) {
      const len = data[off]!;
      if (len === 0) {
        // Records never cross a sector boundary (ECMA-119 §6.8.1.1): skip to the next sector.
        off = (Math.floor(off / SECTOR) + 1) * SECTOR;
        continue;
      }
      const rec = data.subarray(off, off + len);
      off += len;
      const flags = rec[25]!;
      const nameLen = rec[32]!;
      const rawName = rec.subarray(33, 33 + nameLen);
      if (nameLen === 1 && (rawName[0] === 0 || rawName[0] === 1)) continue; // "." and ".."
      let name = joliet ? rawName.swap16().toString('utf16le') : rawName.toString('latin1');
      name = name.replace(/;\d+$/, '');
      if (!joliet && !(flags & 2)) name = name.replace(/\.$/, '');
      let mode: number | null = null;
      let symlink: string | null = null;
      if (!joliet && this.volume?.rockRidge) {
        const rr = this.rockRidge(rec.subarray(33 + nameLen + (nameLen % 2 === 0 ? 1 : 0) + this.suspSkip));
        if (rr.name) name = rr.name;
        mode = rr.mode;
        symlink = rr.symlink;
      }
      const entry: IsoEntry = { name, isDir: !!(flags & 2), lba: rec.readUInt32LE(2), size: rec.readUInt32LE(10), extents: [], mode, symlink };
      if (pendingExtents && pendingExtents.name === name) {
        pendingExtents.extents.push({ lba: entry.lba, size: entry.size });
        if (!(flags & 0x80)) pendingExtents = null;
        continue;
      }
      out.push(entry);
      pendingExtents = flags & 0x80 ? entry : null;
    }
    for (const e of out) e.size = e.size + e.extents.reduce((s, x) => s + x.size, 0);
    return out;
  }

  /** RRIP 1.12 §4.1: NM (alternate name), PX (POSIX mode), SL (symlink). Continuation areas (CE) are not followed. */
  private rockRidge(su: Buffer): { name: string | null; mode: number | null; symlink: string | null } {
    let name = '';
    let hasName = false;
    let mode: number | null = null;
    let symlink: string | null = null;
    for (let i = 0; i + 4 <= su.length;) {
      const sig = su.toString('latin1', i, i + 2);
      const len = su[i + 2]!;
      if (len < 4) break;
      if (sig === 'NM') {
        const nmFlags = su[i + 4]!;
        if (!(nmFlags & 0x06)) {
          name += su.toString('utf8', i + 5, i + len);
          hasName = true;
        }
      } else if (sig === 'PX') {
        mode = su.readUInt32LE(i + 4);
      } else if (sig === 'SL') {
        const parts: string[] = [];
        for (let c = i + 5; c < i + len;) {
          const cf = su[c]!;
          const cl = su[c + 1]!;
          parts.push(cf & 0x02 ? '.' : cf & 0x04 ? '..' : cf & 0x08 ? '' : su.toString('utf8', c + 2, c + 2 + cl));
          c += 2 + cl;
        }
        symlink = (symlink ? `${symlink}/` : '') + parts.join('/');
      } else if (sig === 'ST') break;
      i += len;
    }
    return { name: hasName ? name : null, mode, symlink };
  }

  /** El Torito §2.1–2.4: every boot entry of the catalog. */
  bootEntries(): BootEntry[] {
    const lba = this.volume.bootCatalogLba;
    if (lba === null) return [];
    const cat = this.read(lba * SECTOR, SECTOR);
    // Validation entry: header 01, key 55 AA at 0x1E, and the 16-bit words sum to zero.
    if (cat[0] !== 0x01 || cat[0x1e] !== 0x55 || cat[0x1f] !== 0xaa) {
      throw new IsoFormatError('bad-boot-catalog', `the El Torito boot catalog at sector ${lba} has no valid validation entry`);
    }
    let sum = 0;
    for (let i = 0; i < 32; i += 2) sum = (sum + cat.readUInt16LE(i)) & 0xffff;
    if (sum !== 0) throw new IsoFormatError('bad-boot-catalog', `the El Torito validation entry's checksum is wrong`);
    const entry = (off: number, platformId: number): BootEntry => {
      const media = cat[off + 1]! & 0x0f;
      return {
        platform: platformId === 0 ? 'bios' : platformId === 0xef ? 'uefi' : 'other',
        platformId,
        bootable: cat[off] === 0x88,
        emulation: (['none', '1.2M', '1.44M', '2.88M', 'hdd'] as const)[media] ?? 'none',
        loadSegment: cat.readUInt16LE(off + 2),
        sectorCount: cat.readUInt16LE(off + 6),
        lba: cat.readUInt32LE(off + 8),
      };
    };
    const entries = [entry(32, cat[1]!)];
    for (let off = 64; off + 32 <= SECTOR;) {
      const header = cat[off]!;
      if (header !== 0x90 && header !== 0x91) break;
      const platformId = cat[off + 1]!;
      const count = cat.readUInt16LE(off + 2);
      off += 32;
      for (let n = 0; n < count && off + 32 <= SECTOR; n++, off += 32) {
        // Section entry extensions (0x44) carry no boot image of their own.
        if (cat[off] === 0x44) {
          n--;
          continue;
        }
        entries.push(entry(off, platformId));
      }
      if (header === 0x91) break;
    }
    return entries;
  }

  /** The bytes of a boot image; for a "whole image" EFI entry, up to the size its FAT says. */
  bootImage(e: BootEntry, maxBytes = 64 * 1024 * 1024): Buffer {
    const head = this.read(e.lba * SECTOR, 512);
    let bytes = e.sectorCount * 512;
    if (head[510] === 0x55 && head[511] === 0xaa) {
      const total = head.readUInt16LE(19) || head.readUInt32LE(32);
      const fatBytes = total * head.readUInt16LE(11);
      if (fatBytes > bytes) bytes = fatBytes;
    }
    return this.read(e.lba * SECTOR, Math.min(bytes, maxBytes, this.fileSize - e.lba * SECTOR));
  }

  /** Hybrid (bootable from a USB stick): an MBR signature with at least one partition. */
  hybrid(): boolean {
    const mbr = this.read(0, 512);
    if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) return false;
    for (let p = 0; p < 4; p++) if (mbr[446 + p * 16 + 4] !== 0) return true;
    return false;
  }
}
