/**
 * ISO 9660 volume structures, written by us: the primary directory tree with
 * Rock Ridge, the Joliet tree, path tables and volume descriptors. Why our
 * own: the remaster must run on Windows and macOS laptops without external
 * tools (CONVENTIONS.md), and no maintained JavaScript library writes ISO 9660.
 *
 * Specs: ECMA-119 (ISO 9660) §8.4 (PVD), §9.1 (directory records), §9.4 (path
 * tables), §7.5 (file identifiers), §6.5.1/ISO 9660 level 3 (multi-extent
 * files); Joliet (Microsoft, 1995) for the SVD escape sequence %/E and UCS-2
 * names; SUSP 1.12 (SP, CE, ER) and RRIP 1.12 (PX, NM, SL, TF).
 *
 * The layout is computed first (sizes never depend on block numbers), then
 * every block number is known and the structures are serialized.
 */

export const BLOCK = 2048;
/** The largest extent of one directory record: 4 GiB − 2048 (ISO level 3 splits larger files). */
export const MAX_EXTENT = 0xfffff800;

export type FileData =
  /** Bytes already in the source image, at these extents. */
  | { kind: 'extents'; extents: { lba: number; size: number }[] }
  /** New bytes, written after the source; `chunks` streams exactly `size` bytes. */
  | { kind: 'new'; size: number; chunks: () => AsyncIterable<Buffer> };

export interface TreeNode {
  name: string;
  dir: boolean;
  mode: number;
  symlink: string | null;
  children: TreeNode[];
  data: FileData | null;
}

export interface NewExtent {
  lba: number;
  node: TreeNode;
}

export interface IsoLayout {
  /** Blocks of new file data, in write order. */
  newFiles: NewExtent[];
  /** Metadata blocks (directories, path tables, continuation areas), in lba order. */
  metadata: { lba: number; data: Buffer }[];
  pvd: Buffer;
  svd: Buffer;
  terminator: Buffer;
  /** Total blocks of the volume. */
  volumeBlocks: number;
}

export class IsoWriteError extends Error {}

// ---------------------------------------------------------------- encoding helpers

const both32 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  b.writeUInt32BE(n, 4);
  return b;
};
const both16 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(n, 0);
  b.writeUInt16BE(n, 2);
  return b;
};
/** ECMA-119 §9.1.5: seven-byte recording time, UTC. */
const date7 = (d: Date) =>
  Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
/** ECMA-119 §8.4.26.1: seventeen-byte volume date, UTC. */
const date17 = (d: Date | null) => {
  if (!d) return Buffer.concat([Buffer.from('0000000000000000', 'latin1'), Buffer.from([0])]);
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}${p(d.getUTCHours(), 2)}${p(d.getUTCMinutes(), 2)}${p(d.getUTCSeconds(), 2)}00`;
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
};
const padded = (s: string, n: number, fill = ' ') => Buffer.from(s.slice(0, n).padEnd(n, fill), 'latin1');
const ucs2 = (s: string) => Buffer.from(s, 'utf16le').swap16();
const ucs2Padded = (s: string, bytes: number) => {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 1 < bytes; i += 2) b.writeUInt16BE(0x0020, i);
  ucs2(s.slice(0, bytes / 2)).copy(b);
  return b;
};

// ---------------------------------------------------------------- names

/** ECMA-119 §7.5 d-characters, level 2/3 lengths: NAME.EXT ≤ 30, directories ≤ 31. */
function isoName(name: string, dir: boolean): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  if (dir) return clean(name).slice(0, 31) || '_';
  const dot = name.lastIndexOf('.');
  const base = clean(dot > 0 ? name.slice(0, dot) : name) || '_';
  const ext = dot > 0 ? clean(name.slice(dot + 1)).slice(0, 8) : '';
  return `${base.slice(0, 30 - 1 - ext.length)}.${ext}`;
}

/** Joliet: at most 64 UCS-2 characters, none of * / : ; ? \. */
function jolietName(name: string): string {
  const clean = name.replace(/[*/:;?\\]/g, '_');
  if (clean.length <= 64) return clean;
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
  return clean.slice(0, 64 - ext.length) + ext;
}

/** Makes names unique within one directory by replacing their tail with a counter. */
function uniqueNames(names: string[], max: number, keepExt: boolean): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let candidate = n;
    for (let i = 1; seen.has(candidate.toUpperCase()); i++) {
      const tag = `_${i}`;
      const dot = keepExt ? n.lastIndexOf('.') : -1;
      const base = dot > 0 ? n.slice(0, dot) : n;
      const ext = dot > 0 ? n.slice(dot) : '';
      candidate = base.slice(0, Math.max(1, max - ext.length - tag.length)) + tag + ext;
    }
    seen.add(candidate.toUpperCase());
    return candidate;
  });
}

// ---------------------------------------------------------------- Rock Ridge system use entries

function suEntry(sig: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from([4 + body.length, 1]), body]);
}
const PX = (mode: number, nlink: number, ino: number) => suEntry('PX', Buffer.concat([both32(mode), both32(nlink), both32(0), both32(0), both32(ino)]));
const TF = (d: Date) => suEntry('TF', Buffer.concat([Buffer.from([0x02]), date7(d)]));
const NM = (name: string) => suEntry('NM', Buffer.concat([Buffer.from([0]), Buffer.from(name, 'utf8')]));
const SP = () => suEntry('SP', Buffer.from([0xbe, 0xef, 0]));
const CE = (block: number, offset: number, length: number) => suEntry('CE', Buffer.concat([both32(block), both32(offset), both32(length)]));
function SL(target: string): Buffer {
  const parts = target.split('/');
  const comps: Buffer[] = [];
  parts.forEach((p, i) => {
    if (p === '' && i === 0) comps.push(Buffer.from([0x08, 0]));
    else if (p === '.') comps.push(Buffer.from([0x02, 0]));
    else if (p === '..') comps.push(Buffer.from([0x04, 0]));
    else if (p !== '') comps.push(Buffer.concat([Buffer.from([0, Buffer.byteLength(p)]), Buffer.from(p, 'utf8')]));
  });
  return suEntry('SL', Buffer.concat([Buffer.from([0]), ...comps]));
}
function ER(): Buffer {
  const id = Buffer.from('RRIP_1991A', 'latin1');
  const des = Buffer.from('THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS', 'latin1');
  const src = Buffer.from(
    'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.',
    'latin1',
  );
  return suEntry('ER', Buffer.concat([Buffer.from([id.length, des.length, src.length, 1]), id, des, src]));
}

// ---------------------------------------------------------------- directory records

interface Rec {
  name: Buffer;
  dir: boolean;
  multi: boolean;
  /** Filled in once block numbers are known. */
  lba: () => number;
  size: () => number;
  /** Inline system use; `ce` is appended when `cont` is not empty. */
  su: Buffer;
  cont: Buffer;
  ceAt?: { block: number; offset: number };
}

function recLength(r: Rec): number {
  const nameLen = r.name.length;
  let len = 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0) + r.su.length + (r.cont.length ? 28 : 0);
  if (len % 2) len++;
  return len;
}

function encodeRec(r: Rec, date: Date): Buffer {
  const len = recLength(r);
  const b = Buffer.alloc(len);
  b[0] = len;
  both32(r.lba()).copy(b, 2);
  both32(r.size()).copy(b, 10);
  date7(date).copy(b, 18);
  b[25] = (r.dir ? 2 : 0) | (r.multi ? 0x80 : 0);
  both16(1).copy(b, 28);
  b[32] = r.name.length;
  r.name.copy(b, 33);
  let at = 33 + r.name.length + (r.name.length % 2 === 0 ? 1 : 0);
  r.su.copy(b, at);
  at += r.su.length;
  if (r.cont.length) CE(r.ceAt!.block, r.ceAt!.offset, r.cont.length).copy(b, at);
  return b;
}

/** Packs records into blocks: a record never crosses a block boundary (§6.8.1.1). */
function packedSize(lengths: number[]): number {
  let size = 0;
  for (const l of lengths) {
    const inBlock = size % BLOCK;
    if (inBlock + l > BLOCK) size += BLOCK - inBlock;
    size += l;
  }
  return Math.ceil(size / BLOCK) * BLOCK;
}

interface DirInfo {
  node: TreeNode;
  parent: DirInfo | null;
  recs: Rec[];
  lba: number;
  size: number;
  number: number;
  /** This directory's identifier in its parent (for the path table). */
  ident: Buffer;
  children: DirInfo[];
}

export interface LayoutOptions {
  root: TreeNode;
  /** First free block after the source's data. */
  startLba: number;
  label: string;
  date: Date;
  /** The source PVD's application-use field (512 bytes), kept. */
  applicationUse: Buffer;
  /** Blocks kept free at the end (a backup GPT). */
  reserveBlocks: number;
}

/** Lays the volume out: new file extents, directories, path tables and descriptors. */
export function layoutIso(o: LayoutOptions): IsoLayout {
  let next = o.startLba;
  const alloc = (blocks: number) => {
    const at = next;
    next += blocks;
    return at;
  };

  // 1. New file data, in tree order.
  const newFiles: NewExtent[] = [];
  const newLba = new Map<TreeNode, number>();
  const walk = (n: TreeNode) => {
    if (n.dir) n.children.forEach(walk);
    else if (n.data?.kind === 'new') {
      const lba = alloc(Math.ceil(n.data.size / BLOCK) || 0);
      newLba.set(n, lba);
      newFiles.push({ lba, node: n });
    }
  };
  walk(o.root);
  /** A file's extents: the source's, or its new data split at MAX_EXTENT. */
  const extentsOf = (n: TreeNode): { lba: number; size: number }[] => {
    if (!n.data) return [{ lba: 0, size: 0 }];
    if (n.data.kind === 'extents') return n.data.extents.length ? n.data.extents : [{ lba: 0, size: 0 }];
    const out: { lba: number; size: number }[] = [];
    let lba = newLba.get(n)!;
    let left = n.data.size;
    do {
      const size = Math.min(left, MAX_EXTENT);
      out.push({ lba: size ? lba : 0, size });
      lba += size / BLOCK;
      left -= size;
    } while (left > 0);
    return out;
  };

  // 2. Both trees' directories, with their records (sizes only).
  let ino = 1;
  const inodes = new Map<TreeNode, number>();
  const inode = (n: TreeNode) => inodes.get(n) ?? (inodes.set(n, ino++), ino - 1);
  const conts: Rec[] = [];
  const build = (node: TreeNode, parent: DirInfo | null, joliet: boolean, ident: Buffer): DirInfo => {
    const info: DirInfo = { node, parent, recs: [], lba: 0, size: 0, number: 0, ident, children: [] };
    const kids = [...node.children];
    const names = joliet
      ? uniqueNames(
          kids.map((k) => jolietName(k.name)),
          64,
          true,
        )
      : uniqueNames(
          kids.map((k) => isoName(k.name, k.dir)),
          30,
          true,
        );
    const order = kids.map((k, i) => ({ k, name: names[i]! })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rr = (n: TreeNode, dotRoot = false): { su: Buffer; cont: Buffer } => {
      if (joliet) return { su: Buffer.alloc(0), cont: Buffer.alloc(0) };
      const mode = n.symlink ? 0o120777 : n.dir ? 0o040000 | (n.mode & 0o7777 || 0o555) : 0o100000 | (n.mode & 0o7777 || 0o444);
      const base = [...(dotRoot ? [SP()] : []), PX(mode, n.dir ? 2 : 1, inode(n)), TF(o.date)];
      const extra = [...(dotRoot ? [ER()] : [])];
      return { su: Buffer.concat(base), cont: Buffer.concat(extra) };
    };
    const self = rr(node, parent === null);
    const selfRec: Rec = { name: Buffer.from([0]), dir: true, multi: false, lba: () => info.lba, size: () => info.size, ...self };
    const parentRec: Rec = {
      name: Buffer.from([1]),
      dir: true,
      multi: false,
      lba: () => (parent ?? info).lba,
      size: () => (parent ?? info).size,
      su: joliet ? Buffer.alloc(0) : Buffer.concat([PX(0o040555, 2, inode(parent?.node ?? node)), TF(o.date)]),
      cont: Buffer.alloc(0),
    };
    info.recs.push(selfRec, parentRec);
    for (const { k, name } of order) {
      const idName = joliet ? ucs2(k.dir ? name : `${name};1`) : Buffer.from(k.dir ? name : `${name};1`, 'latin1');
      const base = rr(k);
      if (!joliet) {
        const nm = NM(k.name);
        const sl = k.symlink ? SL(k.symlink) : Buffer.alloc(0);
        if (nm.length > 255 || sl.length > 255) throw new IsoWriteError(`the name or link target of "${k.name}" is too long for Rock Ridge (255 bytes)`);
        const inline = Buffer.concat([base.su, nm, sl]);
        if (33 + idName.length + 1 + inline.length <= 254) base.su = inline;
        else base.cont = Buffer.concat([nm, sl]);
      }
      if (k.dir) {
        const child = build(k, info, joliet, idName);
        info.children.push(child);
        info.recs.push({ name: idName, dir: true, multi: false, lba: () => child.lba, size: () => child.size, ...base });
      } else {
        const exts = extentsOf(k);
        exts.forEach((x, i) => info.recs.push({ name: idName, dir: false, multi: i < exts.length - 1, lba: () => x.lba, size: () => x.size, ...base }));
      }
    }
    for (const r of info.recs) if (r.cont.length) conts.push(r);
    info.size = packedSize(info.recs.map(recLength));
    return info;
  };
  const isoRoot = build(o.root, null, false, Buffer.from([0]));
  const jolietRoot = build(o.root, null, true, Buffer.from([0]));

  // 3. Block numbers: directories in path-table order, then path tables, then continuation areas.
  const ordered = (root: DirInfo) => {
    const out: DirInfo[] = [root];
    for (let i = 0; i < out.length; i++) out.push(...out[i]!.children);
    out.forEach((d, i) => (d.number = i + 1));
    return out;
  };
  const isoDirs = ordered(isoRoot);
  const jolietDirs = ordered(jolietRoot);
  for (const d of [...isoDirs, ...jolietDirs]) d.lba = alloc(d.size / BLOCK);
  const pathTable = (dirs: DirInfo[], le: boolean) =>
    Buffer.concat(
      dirs.map((d) => {
        const id = d.ident;
        const b = Buffer.alloc(8 + id.length + (id.length % 2));
        b[0] = id.length;
        if (le) {
          b.writeUInt32LE(d.lba, 2);
          b.writeUInt16LE(d.parent?.number ?? 1, 6);
        } else {
          b.writeUInt32BE(d.lba, 2);
          b.writeUInt16BE(d.parent?.number ?? 1, 6);
        }
        id.copy(b, 8);
        return b;
      }),
    );
  const tables = [pathTable(isoDirs, true), pathTable(isoDirs, false), pathTable(jolietDirs, true), pathTable(jolietDirs, false)];
  const tableLba = tables.map((t) => alloc(Math.ceil(t.length / BLOCK)));
  // Continuation areas: pieces never cross a block.
  let contBlock = -1;
  let contOff = BLOCK;
  const contData: Buffer[] = [];
  for (const r of conts) {
    if (contOff + r.cont.length > BLOCK) {
      contBlock = alloc(1);
      contOff = 0;
      contData.push(Buffer.alloc(BLOCK));
    }
    r.cont.copy(contData.at(-1)!, contOff);
    r.ceAt = { block: contBlock, offset: contOff };
    contOff += r.cont.length;
  }
  const firstContBlock = contData.length ? contBlock - contData.length + 1 : 0;
  const volumeBlocks = alloc(o.reserveBlocks) + o.reserveBlocks;

  // 4. Serialize.
  const metadata: { lba: number; data: Buffer }[] = [];
  for (const d of [...isoDirs, ...jolietDirs]) {
    const buf = Buffer.alloc(d.size);
    let at = 0;
    for (const r of d.recs) {
      const rec = encodeRec(r, o.date);
      if ((at % BLOCK) + rec.length > BLOCK) at += BLOCK - (at % BLOCK);
      rec.copy(buf, at);
      at += rec.length;
    }
    metadata.push({ lba: d.lba, data: buf });
  }
  tables.forEach((t, i) => metadata.push({ lba: tableLba[i]!, data: Buffer.concat([t, Buffer.alloc(Math.ceil(t.length / BLOCK) * BLOCK - t.length)]) }));
  contData.forEach((b, i) => metadata.push({ lba: firstContBlock + i, data: b }));
  metadata.sort((a, b) => a.lba - b.lba);

  const rootRec = (root: DirInfo) => {
    const r = encodeRec(
      { name: Buffer.from([0]), dir: true, multi: false, lba: () => root.lba, size: () => root.size, su: Buffer.alloc(0), cont: Buffer.alloc(0) },
      o.date,
    );
    return r.subarray(0, 34);
  };
  const vd = (type: 1 | 2) => {
    const joliet = type === 2;
    const b = Buffer.alloc(BLOCK);
    b[0] = type;
    b.write('CD001', 1, 'latin1');
    b[6] = 1;
    (joliet ? ucs2Padded('', 32) : padded('LINUX', 32)).copy(b, 8);
    (joliet ? ucs2Padded(o.label, 32) : padded(o.label.toUpperCase().replace(/[^A-Z0-9_]/g, '_'), 32)).copy(b, 40);
    both32(volumeBlocks).copy(b, 80);
    if (joliet) b.write('%/E', 88, 'latin1');
    both16(1).copy(b, 120);
    both16(1).copy(b, 124);
    both16(BLOCK).copy(b, 128);
    const t = joliet ? 2 : 0;
    both32(tables[t]!.length).copy(b, 132);
    b.writeUInt32LE(tableLba[t]!, 140);
    b.writeUInt32BE(tableLba[t + 1]!, 148);
    rootRec(joliet ? jolietRoot : isoRoot).copy(b, 156);
    const fill = (off: number, len: number) => (joliet ? ucs2Padded('', len) : padded('', len)).copy(b, off);
    fill(190, 128);
    fill(318, 128);
    (joliet ? ucs2Padded('EDGEFORGE', 128) : padded('EDGEFORGE', 128)).copy(b, 446);
    (joliet ? ucs2Padded('EDGEFORGE REMASTER', 128) : padded('EDGEFORGE REMASTER', 128)).copy(b, 574);
    fill(702, 37);
    fill(739, 37);
    fill(776, 37);
    date17(o.date).copy(b, 813);
    date17(o.date).copy(b, 830);
    date17(null).copy(b, 847);
    date17(o.date).copy(b, 864);
    b[881] = 1;
    if (!joliet) o.applicationUse.copy(b, 883, 0, 512);
    return b;
  };
  const terminator = Buffer.alloc(BLOCK);
  terminator[0] = 255;
  terminator.write('CD001', 1, 'latin1');
  terminator[6] = 1;
  return { newFiles, metadata, pvd: vd(1), svd: vd(2), terminator, volumeBlocks };
}
