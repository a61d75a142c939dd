/**
 * A small FAT12/16/32 reader and file rewriter for the El Torito EFI image,
 * which holds its own grub.cfg (DESIGN.md §3b: a remaster must patch that copy
 * too). Works on the whole image in a Buffer; EFI boot images are a few MiB.
 * The image keeps its size, so every pointer to it (El Torito, MBR, GPT) stays
 * valid.
 *
 * Spec: Microsoft "FAT: General Overview of On-Disk Format" 1.03 — BPB
 * (§3.1–3.3), FAT entry decoding (§4), directory entries (§6) and long names (§7).
 */

interface Bpb {
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fats: number;
  rootEntries: number;
  sectorsPerFat: number;
  totalSectors: number;
  rootCluster: number;
  type: 12 | 16 | 32;
  firstDataSector: number;
  rootDirSector: number;
}

export interface FatEntry {
  name: string;
  isDir: boolean;
  cluster: number;
  size: number;
}

export class FatError extends Error {}

function bpb(img: Buffer): Bpb {
  if (img.length < 512 || img[510] !== 0x55 || img[511] !== 0xaa) throw new FatError('no FAT boot sector (missing 55 AA signature)');
  const bytesPerSector = img.readUInt16LE(11);
  const sectorsPerCluster = img[13]!;
  const reservedSectors = img.readUInt16LE(14);
  const fats = img[16]!;
  const rootEntries = img.readUInt16LE(17);
  const totalSectors = img.readUInt16LE(19) || img.readUInt32LE(32);
  const sectorsPerFat = img.readUInt16LE(22) || img.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || fats === 0) throw new FatError('not a FAT file system (bad BPB)');
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const rootDirSector = reservedSectors + fats * sectorsPerFat;
  const firstDataSector = rootDirSector + rootDirSectors;
  const clusters = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const type = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  return {
    bytesPerSector,
    sectorsPerCluster,
    reservedSectors,
    fats,
    rootEntries,
    sectorsPerFat,
    totalSectors,
    rootCluster: type === 32 ? img.readUInt32LE(44) : 0,
    type,
    firstDataSector,
    rootDirSector,
  };
}

export class FatImage {
  private readonly b: Bpb;

  constructor(private readonly img: Buffer) {
    this.b = bpb(img);
  }

  get type(): 12 | 16 | 32 {
    return this.b.type;
  }

  private next(cluster: number): number {
    const fat = this.b.reservedSectors * this.b.bytesPerSector;
    if (this.b.type === 12) {
      const v = this.img.readUInt16LE(fat + Math.floor(cluster * 1.5));
      return cluster & 1 ? v >> 4 : v & 0xfff;
    }
    if (this.b.type === 16) return this.img.readUInt16LE(fat + cluster * 2);
    return this.img.readUInt32LE(fat + cluster * 4) & 0x0fffffff;
  }

  private isEnd(cluster: number): boolean {
    return cluster < 2 || cluster >= (this.b.type === 12 ? 0xff8 : this.b.type === 16 ? 0xfff8 : 0x0ffffff8);
  }

  private chain(first: number, limitBytes?: number): Buffer {
    const size = this.b.sectorsPerCluster * this.b.bytesPerSector;
    const parts: Buffer[] = [];
    const seen = new Set<number>();
    for (let c = first; !this.isEnd(c); c = this.next(c)) {
      if (seen.has(c)) throw new FatError('a cluster chain loops');
      seen.add(c);
      const off = (this.b.firstDataSector + (c - 2) * this.b.sectorsPerCluster) * this.b.bytesPerSector;
      parts.push(this.img.subarray(off, off + size));
      if (limitBytes !== undefined && parts.length * size >= limitBytes) break;
    }
    const all = Buffer.concat(parts);
    return limitBytes === undefined ? all : all.subarray(0, limitBytes);
  }

  private entries(dir: Buffer): FatEntry[] {
    const out: FatEntry[] = [];
    let lfn: string[] = [];
    for (let off = 0; off + 32 <= dir.length; off += 32) {
      const first = dir[off]!;
      if (first === 0x00) break;
      if (first === 0xe5) {
        lfn = [];
        continue;
      }
      const attr = dir[off + 11]!;
      if (attr === 0x0f) {
        const part = Buffer.concat([dir.subarray(off + 1, off + 11), dir.subarray(off + 14, off + 26), dir.subarray(off + 28, off + 32)]).toString('utf16le');
        lfn.unshift(part.split('\u0000')[0]!.replace(/\uffff+$/, ''));
        continue;
      }
      if (attr & 0x08) {
        lfn = [];
        continue; // volume label
      }
      const base = dir.toString('latin1', off, off + 8).trimEnd();
      const ext = dir.toString('latin1', off + 8, off + 11).trimEnd();
      const short = ext ? `${base}.${ext}` : base;
      const name = lfn.length ? lfn.join('') : short;
      lfn = [];
      if (short === '.' || short === '..') continue;
      const cluster = (this.b.type === 32 ? dir.readUInt16LE(off + 20) << 16 : 0) | dir.readUInt16LE(off + 26);
      out.push({ name, isDir: !!(attr & 0x10), cluster, size: dir.readUInt32LE(off + 28) });
    }
    return out;
  }

  list(dirPath: string): FatEntry[] {
    let dir: Buffer;
    if (this.b.type === 32) dir = this.chain(this.b.rootCluster);
    else {
      const off = this.b.rootDirSector * this.b.bytesPerSector;
      dir = this.img.subarray(off, off + this.b.rootEntries * 32);
    }
    for (const part of dirPath.split('/').filter(Boolean)) {
      const e = this.entries(dir).find((x) => x.isDir && x.name.toLowerCase() === part.toLowerCase());
      if (!e) throw new FatError(`no folder ${part} in ${dirPath}`);
      dir = this.chain(e.cluster);
    }
    return this.entries(dir);
  }

  /** A file's bytes, or null when it is not there. Names match case-insensitively, as UEFI does. */
  read(filePath: string): Buffer | null {
    const parts = filePath.split('/').filter(Boolean);
    const name = parts.pop()!;
    let list: FatEntry[];
    try {
      list = this.list(parts.join('/'));
    } catch {
      return null;
    }
    const e = list.find((x) => !x.isDir && x.name.toLowerCase() === name.toLowerCase());
    if (!e) return null;
    return e.size === 0 ? Buffer.alloc(0) : this.chain(e.cluster, e.size);
  }

  private clusterBytes(): number {
    return this.b.sectorsPerCluster * this.b.bytesPerSector;
  }

  private clusterOffset(c: number): number {
    return (this.b.firstDataSector + (c - 2) * this.b.sectorsPerCluster) * this.b.bytesPerSector;
  }

  /** FAT entry §4: writes `value` for `cluster` in every FAT copy. */
  private setNext(cluster: number, value: number): void {
    for (let f = 0; f < this.b.fats; f++) {
      const fat = (this.b.reservedSectors + f * this.b.sectorsPerFat) * this.b.bytesPerSector;
      if (this.b.type === 12) {
        const at = fat + Math.floor(cluster * 1.5);
        const v = this.img.readUInt16LE(at);
        this.img.writeUInt16LE(cluster & 1 ? (v & 0x000f) | (value << 4) : (v & 0xf000) | (value & 0xfff), at);
      } else if (this.b.type === 16) this.img.writeUInt16LE(value & 0xffff, fat + cluster * 2);
      else {
        const at = fat + cluster * 4;
        this.img.writeUInt32LE((this.img.readUInt32LE(at) & 0xf0000000) | (value & 0x0fffffff), at);
      }
    }
  }

  private endMark(): number {
    return this.b.type === 12 ? 0xfff : this.b.type === 16 ? 0xffff : 0x0fffffff;
  }

  /** Image offsets of a directory's 32-byte slots (root or a cluster chain). */
  private dirSlots(cluster: number | null): number[] {
    const out: number[] = [];
    if (cluster === null && this.b.type !== 32) {
      const off = this.b.rootDirSector * this.b.bytesPerSector;
      for (let i = 0; i < this.b.rootEntries; i++) out.push(off + i * 32);
      return out;
    }
    const seen = new Set<number>();
    for (let c = cluster ?? this.b.rootCluster; !this.isEnd(c); c = this.next(c)) {
      if (seen.has(c)) throw new FatError('a cluster chain loops');
      seen.add(c);
      for (let i = 0; i < this.clusterBytes(); i += 32) out.push(this.clusterOffset(c) + i);
    }
    return out;
  }

  /**
   * Replaces an existing file's contents: its cluster chain is reused, shortened
   * (freed clusters go back to the FAT) or grown from free clusters.
   */
  replace(filePath: string, data: Buffer): void {
    const parts = filePath.split('/').filter(Boolean);
    const name = parts.pop()!.toLowerCase();
    let dirCluster: number | null = null;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const e = this.list(parts.slice(0, i).join('/')).find((x) => x.isDir && x.name.toLowerCase() === part.toLowerCase());
      if (!e) throw new FatError(`no folder ${part} in the EFI image`);
      dirCluster = e.cluster;
    }
    const slots = this.dirSlots(dirCluster);
    const names = this.entries(Buffer.concat(slots.map((o) => this.img.subarray(o, o + 32))));
    const target = names.find((x) => !x.isDir && x.name.toLowerCase() === name);
    if (!target) throw new FatError(`no file ${filePath} in the EFI image`);
    // The directory slot whose first cluster and size are this file's.
    const slot = slots.find((o) => {
      const attr = this.img[o + 11]!;
      if (attr === 0x0f || attr & 0x18 || this.img[o] === 0 || this.img[o] === 0xe5) return false;
      const c = (this.b.type === 32 ? this.img.readUInt16LE(o + 20) << 16 : 0) | this.img.readUInt16LE(o + 26);
      return c === target.cluster && this.img.readUInt32LE(o + 28) === target.size;
    });
    if (slot === undefined) throw new FatError(`cannot locate the directory entry of ${filePath}`);
    const chain: number[] = [];
    for (let c = target.cluster; !this.isEnd(c); c = this.next(c)) chain.push(c);
    const per = this.clusterBytes();
    const need = Math.ceil(data.length / per);
    const total = Math.floor((this.b.totalSectors - this.b.firstDataSector) / this.b.sectorsPerCluster) + 2;
    for (let c = 2; chain.length < need && c < total; c++) if (this.next(c) === 0 && !chain.includes(c)) chain.push(c);
    if (chain.length < need) throw new FatError(`the EFI image has no room for ${data.length} bytes of ${filePath}`);
    chain.slice(need).forEach((c) => this.setNext(c, 0));
    const used = chain.slice(0, need);
    used.forEach((c, i) => {
      this.setNext(c, i === used.length - 1 ? this.endMark() : used[i + 1]!);
      const off = this.clusterOffset(c);
      this.img.fill(0, off, off + per);
      data.copy(this.img, off, i * per, Math.min(data.length, (i + 1) * per));
    });
    const first = used[0] ?? 0;
    this.img.writeUInt16LE(first & 0xffff, slot + 26);
    if (this.b.type === 32) this.img.writeUInt16LE(first >>> 16, slot + 20);
    this.img.writeUInt32LE(data.length, slot + 28);
  }
}
