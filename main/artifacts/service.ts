/**
 * Artifacts: the files a factory brings in (container images today; ISOs,
 * runtimes, drivers and light apps to come), checked on import and stored
 * once by content.
 *
 * An import runs as a job. The importer streams into the blob store's
 * staging; only when every check has passed are the kept blobs moved into
 * the store and the artifact rows written, in one transaction. A cancelled,
 * failed or killed import therefore leaves no artifact and no row; its
 * staging is removed at once, or at the next start if the process died.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Artifact, ArtifactKind, GcReport } from '../api/contract';
import { AppError } from '../api/errors';
import type { JobContext, JobKind, JobService } from '../jobs';
import type { Db } from '../store';
import { inspectIso, looksLikeIso, type IsoInspection } from '../iso';
import { BlobStore, type Staging } from './blob-store';
import { inspectDriver, inspectRuntime, isDriverFile, isRuntimeFolder } from './files';
import { inspectLightApp, type LightAppLanguage } from './lightapp';
import { importImage, platformString, type ImportedImage } from './oci';

export const IMPORT_KIND = 'artifacts.import';

export const ArtifactErrors = {
  ARTIFACT_NOT_FOUND: 'ARTIFACT_NOT_FOUND',
  ARTIFACT_ALREADY_IMPORTED: 'ARTIFACT_ALREADY_IMPORTED',
  IMPORT_SOURCE_NOT_FOUND: 'IMPORT_SOURCE_NOT_FOUND',
  IMPORT_PATH_NOT_ABSOLUTE: 'IMPORT_PATH_NOT_ABSOLUTE',
} as const;

interface Row {
  id: string;
  kind: ArtifactKind;
  name: string;
  digest: string;
  size: number;
  platform: string | null;
  source: string;
  metadata: string;
  created_at: string;
}

export interface ImportParams extends Record<string, unknown> {
  path: string;
  platforms?: string[];
  lightApp?: { language: LightAppLanguage; arch: 'x86_64' | 'aarch64' | null };
}

function toArtifact(r: Row): Artifact {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    digest: r.digest,
    size: r.size,
    platform: r.platform,
    source: r.source,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    createdAt: r.created_at,
  };
}

function checkSource(p: string): void {
  if (!path.isAbsolute(p)) {
    throw new AppError(
      ArtifactErrors.IMPORT_PATH_NOT_ABSOLUTE,
      {
        en: `"${p}" is not an absolute path. Give the full path of the file or folder to import.`,
        zh: `“${p}”不是绝对路径。请填写要导入的文件或文件夹的完整路径。`,
      },
      { field: ['path'], file: p },
    );
  }
  if (!fs.existsSync(p)) {
    throw new AppError(ArtifactErrors.IMPORT_SOURCE_NOT_FOUND, { en: `Nothing exists at ${p}.`, zh: `${p} 处不存在任何文件。` }, { field: ['path'], file: p });
  }
}

export class ArtifactService {
  readonly blobs: BlobStore;

  constructor(
    private readonly db: Db,
    blobsRoot: string,
    private readonly jobs: JobService,
    /** Files uploaded for import: each is removed once its import ends. */
    private readonly uploadsDir: string | null = null,
  ) {
    this.blobs = new BlobStore(blobsRoot);
    jobs.register(this.importJob());
  }

  /** For the data directory's owner at start: staging of imports that were killed. */
  recover(): number {
    if (this.uploadsDir) for (const f of fs.readdirSync(this.uploadsDir)) fs.rmSync(path.join(this.uploadsDir, f), { recursive: true, force: true });
    return this.blobs.cleanStaging();
  }

  private isUpload(p: string): boolean {
    return !!this.uploadsDir && path.dirname(path.resolve(p)) === path.resolve(this.uploadsDir);
  }

  list(filter: { kind?: ArtifactKind; search?: string } = {}): Artifact[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    if (filter.search) {
      where.push("(name LIKE ? ESCAPE '\\' OR digest LIKE ? ESCAPE '\\' OR platform LIKE ? ESCAPE '\\')");
      const like = `%${filter.search.replace(/[%_]/g, (c) => `\\${c}`)}%`;
      args.push(like, like, like);
    }
    const sql = `SELECT * FROM artifacts_artifacts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, name`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toArtifact);
  }

  get(id: string): Artifact {
    const row = this.db.prepare('SELECT * FROM artifacts_artifacts WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new AppError(ArtifactErrors.ARTIFACT_NOT_FOUND, { en: `There is no artifact ${id}.`, zh: `不存在制品 ${id}。` }, { field: ['id'] });
    return toArtifact(row);
  }

  /** The artifact of this kind with this digest, or null (catalog documents reference artifacts this way). */
  findByDigest(kind: ArtifactKind, digest: string): Artifact | null {
    const row = this.db.prepare('SELECT * FROM artifacts_artifacts WHERE kind = ? AND digest = ? ORDER BY created_at LIMIT 1').get(kind, digest) as
      Row | undefined;
    return row ? toArtifact(row) : null;
  }

  async startImport(params: ImportParams) {
    return this.jobs.start(IMPORT_KIND, params);
  }

  /** Removes an artifact's record; its blobs go at the next garbage collection. */
  remove(id: string): void {
    this.get(id);
    this.db.prepare('DELETE FROM artifacts_artifacts WHERE id = ?').run(id);
  }

  /** Blobs no artifact references. With dryRun, only reports them. */
  gc(dryRun: boolean): GcReport {
    const referenced = new Set((this.db.prepare('SELECT DISTINCT digest FROM artifacts_blob_refs').all() as { digest: string }[]).map((r) => r.digest));
    let blobs = 0;
    let bytes = 0;
    let kept = 0;
    let keptBytes = 0;
    for (const b of [...this.blobs.list()]) {
      if (referenced.has(b.digest)) {
        kept++;
        keptBytes += b.size;
        continue;
      }
      blobs++;
      bytes += b.size;
      if (!dryRun) this.blobs.remove(b.digest);
    }
    return { dryRun, unreferencedBlobs: blobs, unreferencedBytes: bytes, storedBlobs: kept, storedBytes: keptBytes };
  }

  private record(images: ImportedImage[], source: string): Artifact[] {
    const insert = this.db.prepare(
      `INSERT INTO artifacts_artifacts (id, kind, name, digest, size, platform, source, metadata, created_at) VALUES (?, 'image', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const ref = this.db.prepare('INSERT OR IGNORE INTO artifacts_blob_refs (artifact_id, digest) VALUES (?, ?)');
    const now = new Date().toISOString();
    const ids: string[] = [];
    this.db.transaction(() => {
      for (const img of images) {
        const id = `art_${randomBytes(10).toString('hex')}`;
        insert.run(
          id,
          img.name,
          img.manifestDigest,
          img.size,
          platformString(img.platform),
          source,
          JSON.stringify({
            format: img.format,
            configDigest: img.configDigest,
            layers: img.layers,
            entrypoint: img.entrypoint,
            cmd: img.cmd,
            exposedPorts: img.exposedPorts,
            env: img.env,
            os: img.platform.os,
            architecture: img.platform.architecture,
            variant: img.platform.variant ?? null,
          }),
          now,
        );
        for (const d of [img.manifestDigest, img.configDigest, ...img.layers.map((l) => l.digest)]) ref.run(id, d);
        ids.push(id);
      }
    })();
    return ids.map((id) => this.get(id));
  }

  /** An installer ISO: inspected in place (random access), then streamed into the store whole. */
  private async importIso(file: string, staging: Staging, ctx: JobContext) {
    ctx.log(`Inspecting ISO ${file}`);
    const info: IsoInspection = inspectIso(file);
    ctx.log(
      `${info.label}: ${info.bios ? 'BIOS' : ''}${info.bios && info.uefi ? ' + ' : ''}${info.uefi ? 'UEFI' : ''}, ${info.family}, boot configs ${info.bootConfigs.map((c) => `${c.location}:${c.path}`).join(', ')}`,
    );
    return this.storeFiles('iso', info.label || path.basename(file), info.arch, file, [file], info, staging, ctx);
  }

  /**
   * Streams files into the store and records one artifact for them. Its digest
   * is the first file's sha256; the others are referenced blobs (named in
   * metadata.files).
   */
  private async storeFiles(
    kind: ArtifactKind,
    name: string,
    platform: string | null,
    source: string,
    files: string[],
    info: object,
    staging: Staging,
    ctx: JobContext,
  ) {
    const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    let done = 0;
    const stored: { file: string; digest: string; size: number }[] = [];
    for (const file of files) {
      const stream = fs.createReadStream(file);
      stream.on('data', (c) => {
        done += c.length;
        ctx.progress(done, total);
      });
      const blob = await staging.put(stream, ctx.signal);
      stored.push({ file: path.basename(file), digest: blob.digest, size: blob.size });
    }
    // One file: its sha256. Several (a k3s runtime folder): the sha256 of their list in sha256sum form,
    // so that a folder whose air-gap archive or install script changed is another runtime.
    const digest =
      stored.length === 1
        ? stored[0]!.digest
        : `sha256:${createHash('sha256')
            .update(stored.map((s) => `${s.digest.slice(7)}  ${s.file}\n`).join(''))
            .digest('hex')}`;
    const existing = this.db.prepare('SELECT name FROM artifacts_artifacts WHERE kind = ? AND digest = ?').get(kind, digest) as { name: string } | undefined;
    if (existing) {
      throw new AppError(
        ArtifactErrors.ARTIFACT_ALREADY_IMPORTED,
        {
          en: `This ${kind} (${digest.slice(0, 19)}…) was already imported as "${existing.name}".`,
          zh: `该${kind}（${digest.slice(0, 19)}…）已作为“${existing.name}”导入。`,
        },
        { file: source },
      );
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const { added, reused } = staging.commit(stored.map((s) => s.digest));
    const id = `art_${randomBytes(10).toString('hex')}`;
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO artifacts_artifacts (id, kind, name, digest, size, platform, source, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, kind, name, digest, total, platform, source, JSON.stringify({ ...info, files: stored }), new Date().toISOString());
      for (const s of stored) this.db.prepare('INSERT OR IGNORE INTO artifacts_blob_refs (artifact_id, digest) VALUES (?, ?)').run(id, s.digest);
    })();
    const a = this.get(id);
    return { artifacts: [{ id: a.id, name: a.name, platform: a.platform, digest: a.digest }], blobsAdded: added, blobsReused: reused };
  }

  private importJob(): JobKind<
    ImportParams,
    { artifacts: { id: string; name: string; platform: string | null; digest: string }[]; blobsAdded: number; blobsReused: number }
  > {
    return {
      kind: IMPORT_KIND,
      title: (p) => ({ en: `Import ${path.basename(p.path)}`, zh: `导入 ${path.basename(p.path)}` }),
      validate: (p) => checkSource(p.path),
      run: async (ctx, p) => {
        checkSource(p.path);
        const staging = this.blobs.stage();
        try {
          const st = fs.statSync(p.path);
          if (st.isFile() && looksLikeIso(p.path)) return await this.importIso(p.path, staging, ctx);
          if (st.isDirectory() && isRuntimeFolder(p.path)) {
            const info = await inspectRuntime(p.path);
            ctx.log(
              `k3s ${info.version} for ${info.arch}${info.imageArchitectures.length ? `, ${info.imageArchitectures.length} air-gap image(s) checked` : ''}`,
            );
            return await this.storeFiles(
              'runtime',
              `k3s ${info.version} (${info.arch})`,
              info.arch,
              p.path,
              [info.files.binary, info.files.images, info.files.installScript],
              info,
              staging,
              ctx,
            );
          }
          if (p.lightApp) {
            const info = await inspectLightApp(p.path, p.lightApp.language, p.lightApp.arch);
            ctx.log(`Light app (${info.language}${info.arch ? `, ${info.arch}` : ''}), ${info.entries} file(s)`);
            const name = path.basename(p.path).replace(/\.(zip|tar\.gz|tgz)$/i, '');
            return await this.storeFiles('lightapp', name, info.arch, p.path, [p.path], info, staging, ctx);
          }
          if (st.isFile() && isDriverFile(p.path)) {
            const info = await inspectDriver(p.path);
            ctx.log(`${info.name}`);
            return await this.storeFiles('driver', info.name, info.arch, p.path, [p.path], info, staging, ctx);
          }
          ctx.log(`Reading ${p.path}`);
          const result = await importImage(p.path, staging, {
            ...(p.platforms ? { platforms: p.platforms } : {}),
            signal: ctx.signal,
            onProgress: (done, total) => ctx.progress(done, total),
          });
          for (const img of result.images) {
            const existing = this.db.prepare("SELECT id, name FROM artifacts_artifacts WHERE kind = 'image' AND digest = ?").get(img.manifestDigest) as
              { id: string; name: string } | undefined;
            if (existing) {
              throw new AppError(
                ArtifactErrors.ARTIFACT_ALREADY_IMPORTED,
                {
                  en: `This image (${platformString(img.platform)}, ${img.manifestDigest.slice(0, 19)}…) was already imported as "${existing.name}".`,
                  zh: `该镜像（${platformString(img.platform)}，${img.manifestDigest.slice(0, 19)}…）已作为“${existing.name}”导入。`,
                },
                { file: p.path },
              );
            }
            ctx.log(`Checked ${img.name}: ${platformString(img.platform)}, ${img.layers.length} layer(s), manifest ${img.manifestDigest}`);
          }
          if (ctx.signal.aborted) throw ctx.signal.reason;
          const { added, reused } = staging.commit(result.keep);
          const artifacts = this.record(result.images, p.path);
          ctx.log(`Stored ${added} new blob(s), ${reused} already present`);
          return {
            artifacts: artifacts.map((a) => ({ id: a.id, name: a.name, platform: a.platform, digest: a.digest })),
            blobsAdded: added,
            blobsReused: reused,
          };
        } finally {
          staging.discard();
          // An uploaded copy has served its purpose, imported or not; a failed one is uploaded again.
          if (this.isUpload(p.path) && !ctx.signal.aborted) fs.rmSync(p.path, { force: true });
        }
      },
    };
  }
}
