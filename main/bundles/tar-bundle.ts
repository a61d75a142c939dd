/**
 * The tar bundle: a plan streamed into a ustar archive (tar-stream), one
 * entry after another, each hashed as it passes; manifest.json and its
 * signature go last, once every hash is known. Nothing is held in memory but
 * the current chunk, so memory stays flat whatever the bundle's size.
 *
 * Reproducible: entries in plan order, mtime = the batch's creation, owner
 * root:root (0:0), fixed modes, no host paths, deterministic signatures.
 * Written to <file>.partial-<pid> and renamed when complete; cancel or
 * failure removes the partial file.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { AppError } from '../api/errors';
import type { StationKeys } from '../licensing';
import { BundleErrors, manifestJson, type BundlePlan, type PlanEntry } from './plan';

export interface BuildProgress {
  (doneBytes: number, totalBytes: number): void;
}

export interface TarBundleResult {
  file: string;
  size: number;
  sha256: string;
  manifestSha256: string;
}

const CHUNK = 1024 * 1024;

/**
 * The whole file's sha256, computed on a worker thread while the main thread
 * packs and hashes entries (as `tar | sha256sum` uses two processes). At most
 * 8 chunks are in flight, so memory stays bounded.
 */
function offThreadSha256(): { transform: Transform; digest: () => Promise<string>; abort: () => void } {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const h = require('node:crypto').createHash('sha256');
     parentPort.on('message', (m) => {
       if (m === 'end') parentPort.postMessage({ digest: h.digest('hex') });
       else { h.update(m); parentPort.postMessage('ack'); }
     });`,
    { eval: true },
  );
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let result: ((hex: string) => void) | null = null;
  let failure: Error | null = null;
  worker.on('message', (m: 'ack' | { digest: string }) => {
    if (m === 'ack') {
      inFlight--;
      wake?.();
    } else result?.(m.digest);
  });
  worker.on('error', (e) => {
    failure = e;
    wake?.();
  });
  const transform = new Transform({
    transform(c: Buffer, _e, cb) {
      const send = () => {
        if (failure) return cb(failure);
        inFlight++;
        worker.postMessage(c);
        cb(null, c);
      };
      if (inFlight < 8) send();
      else
        wake = () => {
          if (inFlight < 8 || failure) {
            wake = null;
            send();
          }
        };
    },
  });
  const digest = () =>
    new Promise<string>((resolve, reject) => {
      if (failure) return reject(failure);
      result = (hex) => {
        void worker.terminate();
        resolve(hex);
      };
      worker.postMessage('end');
    });
  return { transform, digest, abort: () => void worker.terminate() };
}

/** Upper bound of the archive's size: every entry with a pax header's worth of slack. */
export function tarBundleEstimate(plan: BundlePlan): number {
  return plan.entries.reduce((s, e) => s + e.size + 1536, 0) + 64 * 1024 + 1024 * 1024;
}

/** Refuses before starting when the output folder's file system cannot hold `bytes`. */
export function checkSpace(dir: string, bytes: number): void {
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (free < bytes) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    throw new AppError(
      BundleErrors.BUNDLE_NO_SPACE,
      {
        en: `The bundle needs about ${mib(bytes)} in ${dir}, but only ${mib(free)} is free. Free some space or choose another folder.`,
        zh: `安装包在 ${dir} 中约需 ${mib(bytes)}，但只有 ${mib(free)} 可用。请释放空间或选择其他文件夹。`,
      },
      { field: ['outDir'], file: dir },
    );
  }
}

/** Streams a stored blob, failing if its bytes no longer hash to its digest (store corruption). */
async function* blobChunks(file: string, digest: string, hash: Hash): AsyncGenerator<Buffer> {
  // `hash` covers exactly this blob's bytes (a fresh hash per entry): a copy of it checks the digest.
  for await (const c of fs.createReadStream(file, { highWaterMark: CHUNK })) {
    hash.update(c as Buffer);
    yield c as Buffer;
  }
  if (`sha256:${hash.copy().digest('hex')}` !== digest) {
    throw new AppError(
      BundleErrors.BUNDLE_BLOB_CORRUPT,
      {
        en: `A stored blob (${digest.slice(0, 19)}…) no longer matches its digest: the artifact store is damaged. Import the artifact again.`,
        zh: `已存储的数据块（${digest.slice(0, 19)}…）与其摘要不符：制品库已损坏。请重新导入该制品。`,
      },
      { file },
    );
  }
}

/** Adds one entry to a pack, streaming its bytes; returns the bytes' sha256. */
async function addEntry(
  pack: tar.Pack,
  e: { path: string; mode: number; size: number; mtime: Date },
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<void> {
  let fail: Error | null = null;
  const done = new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name: e.path, size: e.size, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, uname: 'root', gname: 'root', type: 'file' }, (err) =>
      err ? reject(err) : resolve(),
    );
    // Its failures arrive through the callback or the loop below.
    (entry as unknown as Writable).on('error', () => undefined);
    void (async () => {
      try {
        for await (const c of chunks) {
          signal.throwIfAborted();
          if (!entry.write(c)) await once(entry as unknown as Writable, 'drain', { signal });
          onBytes(c.length);
        }
        (entry as unknown as Writable).end();
      } catch (err) {
        fail = err as Error;
        entry.destroy(err as Error);
        reject(err as Error);
      }
    })();
  });
  await done;
  if (fail) throw fail;
}

function dirEntry(pack: tar.Pack, name: string, mtime: Date): void {
  pack.entry({ name: name.endsWith('/') ? name : `${name}/`, type: 'directory', mode: 0o755, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' });
}

/** The bytes of a plan entry, hashed into `hash` as they go. */
export async function* entryChunks(e: PlanEntry, hash: Hash): AsyncGenerator<Buffer> {
  const s = e.source;
  if (s.kind === 'bytes') {
    hash.update(s.data);
    yield s.data;
    return;
  }
  yield* blobChunks(s.file, s.digest, hash);
}

/**
 * Streams the plan into `file` (via a partial file), with manifest.json and
 * its signature last. `compress` wraps the output (e.g. zstd) when given.
 */
export async function writeTarBundle(
  plan: BundlePlan,
  keys: StationKeys,
  file: string,
  signal: AbortSignal,
  progress: BuildProgress,
  compress?: () => Transform,
): Promise<TarBundleResult> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.partial-${process.pid}`;
  const mtime = new Date(plan.mtime * 1000);
  const total = plan.entries.reduce((s, e) => s + e.size, 0);
  let done = 0;
  let lastReport = 0;
  const onBytes = (n: number) => {
    done += n;
    if (done - lastReport >= 4 * CHUNK || done === total) {
      lastReport = done;
      progress(done, total);
    }
  };
  const whole = offThreadSha256();
  let size = 0;
  const pack = tar.pack();
  pack.on('error', () => undefined); // reported through `written`
  const counter = new Transform({
    transform(c: Buffer, _e, cb) {
      size += c.length;
      cb(null, c);
    },
  });
  const sink = fs.createWriteStream(tmp, { mode: 0o644 });
  const source = pack as unknown as NodeJS.ReadableStream;
  const written = compress
    ? pipeline(source, compress(), counter, whole.transform, sink, { signal })
    : pipeline(source, counter, whole.transform, sink, { signal });
  written.catch(() => undefined);
  try {
    const root = plan.root;
    const files: { path: string; size: number; sha256: string }[] = [];
    const dirs = new Set<string>();
    dirEntry(pack, root, mtime);
    for (const e of plan.entries) {
      const parts = e.path.split('/').slice(0, -1);
      for (let i = 1; i <= parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          dirEntry(pack, `${root}/${d}`, mtime);
        }
      }
      const hash = createHash('sha256');
      await addEntry(pack, { path: `${root}/${e.path}`, mode: e.mode, size: e.size, mtime }, entryChunks(e, hash), signal, onBytes);
      files.push({ path: e.path, size: e.size, sha256: hash.digest('hex') });
    }
    const manifest = manifestJson(plan.manifestHead, files);
    const sig = keys.sign('edgeforge.bundle.manifest.v1', manifest, plan.keyId);
    await addEntry(pack, { path: `${root}/manifest.json`, mode: 0o644, size: manifest.length, mtime }, [manifest], signal, () => undefined);
    await addEntry(pack, { path: `${root}/manifest.json.sig`, mode: 0o644, size: sig.length, mtime }, [sig], signal, () => undefined);
    pack.finalize();
    await written;
    const sha256 = await whole.digest();
    fs.renameSync(tmp, file);
    progress(total, total);
    return { file, size, sha256, manifestSha256: createHash('sha256').update(manifest).digest('hex') };
  } catch (e) {
    whole.abort();
    pack.destroy();
    await written.catch(() => undefined);
    fs.rmSync(tmp, { force: true });
    throw signal.aborted ? (signal.reason ?? e) : e;
  }
}
