/**
 * Remastering an installer ISO without external tools.
 *
 * Every block of the source stays where it was: boot images, the boot
 * catalog, the EFI image and every unchanged file keep their block numbers,
 * so El Torito entries, isolinux's boot-info table and the hybrid MBR/GPT
 * pointers to the EFI image stay valid. What changes is written after the
 * source's end: replaced and added files, then a new ISO 9660 + Rock Ridge
 * tree, a Joliet tree and path tables (writer.ts). New volume descriptors at
 * block 16 point at them; the hybrid partition table grows to the new end.
 * The EFI image is rewritten in place (same size) when its grub.cfg changes.
 *
 * Streamed: the source is copied in 1 MiB chunks, new files stream from
 * their sources; only the EFI image and directory structures sit in memory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupGptSectors, patchHybrid } from './hybrid';
import { IsoReader } from './reader';
import { BLOCK, IsoWriteError, layoutIso, type TreeNode } from './writer';

export interface NewFile {
  /** Path on the disc, e.g. /edgeforge/install.sh. */
  path: string;
  mode: number;
  size: number;
  chunks: () => AsyncIterable<Buffer>;
}

export interface RemasterInput {
  source: string;
  output: string;
  /** Files whose contents change (paths matched case-insensitively), as new bytes. */
  replace: Map<string, Buffer>;
  add: NewFile[];
  /** The EFI boot image rewritten in place: same block, same size. */
  efiImage: { lba: number; data: Buffer } | null;
  date: Date;
  signal: AbortSignal;
  progress: (done: number, total: number) => void;
  /** Runs on the complete partial file before it is renamed (e.g. the media-check sum). */
  finish?: (partialFile: string) => void;
}

export interface RemasterResult {
  file: string;
  size: number;
  sha256: string;
}

const CHUNK = 1024 * 1024;

/** The source's tree as writer nodes that point at its extents. */
function readTree(r: IsoReader, dir: string): TreeNode[] {
  return r.list(dir).map((e) => {
    const full = `${dir.replace(/\/$/, '')}/${e.name}`;
    const rest = e.extents.reduce((s, x) => s + x.size, 0);
    return {
      name: e.name,
      dir: e.isDir,
      mode: e.mode ?? (e.isDir ? 0o40555 : 0o100444),
      symlink: e.symlink,
      children: e.isDir ? readTree(r, full) : [],
      data: e.isDir ? null : { kind: 'extents' as const, extents: [{ lba: e.lba, size: e.size - rest }, ...e.extents] },
    };
  });
}

function findNode(root: TreeNode, p: string, create: boolean): TreeNode | null {
  let cur = root;
  const parts = p.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    let next = cur.children.find((c) => c.name.toLowerCase() === parts[i]!.toLowerCase());
    if (!next) {
      if (!create) return null;
      next = { name: parts[i]!, dir: !last, mode: last ? 0o100444 : 0o40555, symlink: null, children: [], data: null };
      cur.children.push(next);
    }
    cur = next;
  }
  return cur;
}

async function writeAll(fd: number, buf: Buffer, pos: number): Promise<void> {
  for (let off = 0; off < buf.length;)
    off += await new Promise<number>((res, rej) => fs.write(fd, buf, off, buf.length - off, pos + off, (e, n) => (e ? rej(e) : res(n))));
}

export async function remasterIso(input: RemasterInput): Promise<RemasterResult> {
  const r = new IsoReader(input.source);
  const tmp = `${input.output}.partial-${process.pid}`;
  let fd: number | null = null;
  try {
    const root: TreeNode = { name: '', dir: true, mode: 0o40555, symlink: null, children: readTree(r, '/'), data: null };
    for (const [p, data] of input.replace) {
      const n = findNode(root, p, false);
      if (!n || n.dir) throw new IsoWriteError(`${p} is not on the source ISO`);
      n.data = {
        kind: 'new',
        size: data.length,
        chunks: async function* () {
          yield data;
        },
      };
    }
    for (const f of input.add) {
      const n = findNode(root, f.path, true)!;
      n.mode = 0o100000 | f.mode;
      n.data = { kind: 'new', size: f.size, chunks: f.chunks };
    }

    // Blocks 16–19 take the new descriptors; nothing the new volume keeps may live there.
    const kept: { lba: number; size: number }[] = [];
    const collect = (n: TreeNode) => (n.dir ? n.children.forEach(collect) : n.data?.kind === 'extents' && kept.push(...n.data.extents));
    collect(root);
    if (r.volume.bootCatalogLba !== null) kept.push({ lba: r.volume.bootCatalogLba, size: BLOCK });
    for (const b of r.bootEntries()) kept.push({ lba: b.lba, size: b.sectorCount * 512 });
    const clash = kept.find((x) => x.size > 0 && x.lba <= 19 && x.lba + Math.ceil(x.size / BLOCK) > 17);
    if (clash) throw new IsoWriteError(`the source ISO keeps data at block ${clash.lba}, where the new volume descriptors go`);

    const sourceBlocks = Math.ceil(Math.max(r.volume.volumeSpaceBytes, r.fileSize) / BLOCK);
    const systemArea = r.read(0, 16 * BLOCK);
    const gptSectors = backupGptSectors(systemArea);
    const layout = layoutIso({
      root,
      startLba: sourceBlocks,
      label: r.volume.label,
      date: input.date,
      applicationUse: r.read(16 * BLOCK + 883, 512),
      reserveBlocks: Math.ceil((gptSectors * 512) / BLOCK),
    });
    const totalBytes = layout.volumeBlocks * BLOCK;
    const hybrid = patchHybrid(systemArea, sourceBlocks * BLOCK, totalBytes);
    const bootRecord = (() => {
      for (let s = 16; s < 32; s++) {
        const d = r.read(s * BLOCK, BLOCK);
        if (d[0] === 0 && d.toString('latin1', 1, 6) === 'CD001') return d;
        if (d[0] === 255) break;
      }
      return null;
    })();

    fs.mkdirSync(path.dirname(input.output), { recursive: true });
    fd = fs.openSync(tmp, 'w', 0o644);
    const hash = createHash('sha256');
    let written = 0;
    const total = totalBytes;
    const emit = async (buf: Buffer) => {
      input.signal.throwIfAborted();
      await writeAll(fd!, buf, written);
      hash.update(buf);
      written += buf.length;
      input.progress(written, total);
    };

    // System area, descriptors, then the source's blocks (the EFI image patched in place).
    await emit(hybrid.systemArea);
    const vds = [layout.pvd, ...(bootRecord ? [bootRecord] : []), layout.svd, layout.terminator];
    for (const vd of vds) await emit(vd);
    const efi = input.efiImage;
    for (let lba = 16 + vds.length; lba < sourceBlocks;) {
      const blocks = Math.min(CHUNK / BLOCK, sourceBlocks - lba);
      const chunk = r.read(lba * BLOCK, Math.min(blocks * BLOCK, r.fileSize - lba * BLOCK));
      const buf = chunk.length === blocks * BLOCK ? chunk : Buffer.concat([chunk, Buffer.alloc(blocks * BLOCK - chunk.length)]);
      if (efi) {
        const s = Math.max(efi.lba * BLOCK, lba * BLOCK);
        const e = Math.min(efi.lba * BLOCK + efi.data.length, (lba + blocks) * BLOCK);
        if (s < e) efi.data.copy(buf, s - lba * BLOCK, s - efi.lba * BLOCK, e - efi.lba * BLOCK);
      }
      await emit(buf);
      lba += blocks;
    }
    // New files, each padded to a block.
    for (const f of layout.newFiles) {
      if (written !== f.lba * BLOCK) throw new IsoWriteError(`layout error: ${f.node.name} at ${written}, expected ${f.lba * BLOCK}`);
      const data = f.node.data as { size: number; chunks: () => AsyncIterable<Buffer> };
      let got = 0;
      for await (const c of data.chunks()) {
        got += c.length;
        await emit(c);
      }
      if (got !== data.size) throw new IsoWriteError(`${f.node.name}: ${got} bytes streamed, ${data.size} announced`);
      if (got % BLOCK) await emit(Buffer.alloc(BLOCK - (got % BLOCK)));
    }
    for (const m of layout.metadata) {
      if (written < m.lba * BLOCK) await emit(Buffer.alloc(m.lba * BLOCK - written));
      await emit(m.data);
    }
    if (written < totalBytes) {
      const tail = Buffer.alloc(totalBytes - written);
      if (hybrid.backupGpt) hybrid.backupGpt.copy(tail, tail.length - hybrid.backupGpt.length);
      await emit(tail);
    }
    fs.closeSync(fd);
    fd = null;
    let sha256 = hash.digest('hex');
    if (input.finish) {
      input.finish(tmp);
      sha256 = await new Promise<string>((res, rej) => {
        const h = createHash('sha256');
        fs.createReadStream(tmp)
          .on('data', (c) => h.update(c))
          .on('end', () => res(h.digest('hex')))
          .on('error', rej);
      });
    }
    fs.renameSync(tmp, input.output);
    return { file: input.output, size: written, sha256 };
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    r.close();
  }
}
