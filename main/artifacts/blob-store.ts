/**
 * The content-addressed blob store: every file EdgeForge keeps is stored once,
 * under blobs/sha256/<aa>/<hex>, named by the sha256 of its bytes.
 *
 * Imports write into a staging folder first, hashing in the same pass; only
 * when the import has been checked are the blobs it keeps renamed into the
 * store (a blob already there is simply not moved: that is the dedupe). A
 * killed import leaves only a staging folder, which the next start removes.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StagedBlob {
  digest: string;
  size: number;
  file: string;
}

export class Staging {
  private readonly staged = new Map<string, StagedBlob>();

  constructor(
    private readonly store: BlobStore,
    readonly dir: string,
  ) {}

  /** Streams a source into staging, hashing it on the way. */
  async put(source: Readable, signal?: AbortSignal): Promise<StagedBlob> {
    const tmp = path.join(this.dir, `part-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(source, tap, fs.createWriteStream(tmp), signal ? { signal } : {});
    const digest = `sha256:${hash.digest('hex')}`;
    const existing = this.staged.get(digest);
    if (existing) {
      fs.rmSync(tmp, { force: true });
      return existing;
    }
    const file = path.join(this.dir, digest.slice(7));
    fs.renameSync(tmp, file);
    const blob = { digest, size, file };
    this.staged.set(digest, blob);
    return blob;
  }

  putBuffer(data: Buffer): StagedBlob {
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const existing = this.staged.get(digest);
    if (existing) return existing;
    const file = path.join(this.dir, digest.slice(7));
    fs.writeFileSync(file, data);
    const blob = { digest, size: data.length, file };
    this.staged.set(digest, blob);
    return blob;
  }

  get(digest: string): StagedBlob | undefined {
    return this.staged.get(digest);
  }

  read(digest: string): Buffer {
    const b = this.staged.get(digest);
    if (b) return fs.readFileSync(b.file);
    return fs.readFileSync(this.store.pathOf(digest));
  }

  /** Moves the named blobs into the store (skipping those it has), then drops the staging folder. */
  commit(keep: Iterable<string>): { added: number; reused: number } {
    let added = 0;
    let reused = 0;
    for (const digest of new Set(keep)) {
      const blob = this.staged.get(digest);
      if (!blob) {
        if (this.store.has(digest)) reused++;
        else throw new Error(`blob ${digest} is neither staged nor stored`);
        continue;
      }
      const dest = this.store.pathOf(digest);
      if (fs.existsSync(dest)) {
        reused++;
        continue;
      }
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.renameSync(blob.file, dest);
      added++;
    }
    this.discard();
    return { added, reused };
  }

  discard(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export class BlobStore {
  readonly blobsDir: string;
  readonly stagingDir: string;

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'sha256');
    this.stagingDir = path.join(root, 'staging');
    fs.mkdirSync(this.blobsDir, { recursive: true });
    fs.mkdirSync(this.stagingDir, { recursive: true });
  }

  pathOf(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${digest}`);
    return path.join(this.blobsDir, hex.slice(0, 2), hex);
  }

  has(digest: string): boolean {
    return fs.existsSync(this.pathOf(digest));
  }

  stage(): Staging {
    const dir = path.join(this.stagingDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(dir, { recursive: true });
    return new Staging(this, dir);
  }

  /** Removes staging left by imports that were killed. Returns how many folders. */
  cleanStaging(): number {
    const left = fs.readdirSync(this.stagingDir);
    for (const d of left) fs.rmSync(path.join(this.stagingDir, d), { recursive: true, force: true });
    return left.length;
  }

  /** Every stored blob with its size. */
  *list(): Generator<{ digest: string; size: number }> {
    for (const prefix of fs.readdirSync(this.blobsDir)) {
      for (const hex of fs.readdirSync(path.join(this.blobsDir, prefix))) {
        yield { digest: `sha256:${hex}`, size: fs.statSync(path.join(this.blobsDir, prefix, hex)).size };
      }
    }
  }

  remove(digest: string): void {
    fs.rmSync(this.pathOf(digest), { force: true });
  }
}
