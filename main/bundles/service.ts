/**
 * Building a batch's bundles as a job: plan, check the disk space, stream,
 * record the outputs: the tar bundle, the ISO bundle (the model's base ISO
 * remastered), or both, under one progress bar.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Duplex, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Artifact, BundleBuildInput } from '../api/contract';
import { AppError } from '../api/errors';
import type { JobKind, JobService } from '../jobs';
import { BundleErrors, planBundle, type PlanDeps } from './plan';
import { writeIsoBundle } from './iso-bundle';
import { checkSpace, tarBundleEstimate, writeTarBundle } from './tar-bundle';

export const BUNDLE_BUILD_KIND = 'bundles.build';

export interface BuiltBundle {
  kind: 'tar' | 'iso';
  file: string;
  size: number;
  sha256: string;
}

/**
 * A zstd compressor: Node's own where it has one (Node ≥ 22.15, as in the
 * desktop app), else the system `zstd` tool; refused clearly when neither.
 */
function zstdCompressor(): Transform {
  const z = zlib as unknown as { createZstdCompress?: () => Transform };
  if (typeof z.createZstdCompress === 'function') return z.createZstdCompress();
  const child = spawn('zstd', ['-q', '-c', '-3', '-T1', '--no-check'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const d = Duplex.from({ writable: child.stdin, readable: child.stdout }) as unknown as Transform;
  child.on('error', (e) => d.destroy(e));
  child.on('exit', (code) => code && d.destroy(new Error(`zstd exited with code ${code}`)));
  return d;
}

function zstdAvailable(): boolean {
  if (typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function') return true;
  const paths = (process.env.PATH ?? '').split(path.delimiter);
  return paths.some((p) => p && fs.existsSync(path.join(p, process.platform === 'win32' ? 'zstd.exe' : 'zstd')));
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64);

export class BundleService {
  constructor(
    private readonly deps: PlanDeps,
    private readonly jobs: JobService,
    private readonly bundlesDir: string,
  ) {
    jobs.register(this.buildJob());
  }

  startBuild(input: BundleBuildInput) {
    return this.jobs.start(BUNDLE_BUILD_KIND, input);
  }

  private outDir(input: BundleBuildInput): string {
    if (input.outDir !== null && !path.isAbsolute(input.outDir)) {
      throw new AppError(
        BundleErrors.BUNDLE_OUT_DIR,
        { en: `"${input.outDir}" is not an absolute path. Give the full path of a folder.`, zh: `“${input.outDir}”不是绝对路径。请填写文件夹的完整路径。` },
        { field: ['outDir'] },
      );
    }
    return input.outDir ?? path.join(this.bundlesDir, input.batchId);
  }

  /** The model's base installer ISO, or a refusal naming what to do. */
  private baseIso(batchId: string): { artifact: Artifact; file: { path: string; size: number } } {
    const batch = this.deps.batches.get(batchId);
    const combo = this.deps.combos.get(batch.comboId);
    const spec = this.deps.models.get(combo.spec.modelId).revisions.find((r) => r.revision === combo.spec.modelRevision)!.spec;
    if (!spec.os.baseIsoArtifactId) {
      throw new AppError(
        BundleErrors.BUNDLE_NO_BASE_ISO,
        {
          en: `Model "${batch.modelName}" r${batch.modelRevision} has no base installer ISO, so no ISO bundle can be made. Build the tar bundle, or give the model a base ISO in a new revision.`,
          zh: `型号“${batch.modelName}”r${batch.modelRevision} 没有基础安装 ISO，无法制作 ISO 安装包。请构建 tar 安装包，或在新版本型号中指定基础 ISO。`,
        },
        { field: ['iso'] },
      );
    }
    const artifact = this.deps.artifacts.get(spec.os.baseIsoArtifactId);
    const f = (artifact.metadata.files as { digest: string; size: number }[])[0]!;
    return { artifact, file: { path: this.deps.artifacts.blobs.pathOf(f.digest), size: f.size } };
  }

  private buildJob(): JobKind<BundleBuildInput, { outputs: BuiltBundle[] }> {
    return {
      kind: BUNDLE_BUILD_KIND,
      title: (p) => ({
        en: `Build ${[p.tar && 'tar', p.iso && 'ISO'].filter(Boolean).join(' + ')} bundle of ${p.batchId}`,
        zh: `构建批次 ${p.batchId} 的${[p.tar && 'tar', p.iso && 'ISO'].filter(Boolean).join(' + ')}安装包`,
      }),
      validate: (p) => {
        this.deps.batches.get(p.batchId);
        this.outDir(p);
        if (p.iso) this.baseIso(p.batchId);
        if (p.zstd && !zstdAvailable()) {
          throw new AppError(
            'BUNDLE_ZSTD_UNAVAILABLE',
            {
              en: 'zstd compression needs the desktop app or the zstd tool on this station; build without compression.',
              zh: 'zstd 压缩需要桌面应用或本工作站上的 zstd 工具；请不压缩构建。',
            },
            { field: ['zstd'] },
          );
        }
      },
      run: async (ctx, p) => {
        const plan = planBundle(this.deps, p.batchId);
        const dir = this.outDir(p);
        fs.mkdirSync(dir, { recursive: true });
        const batch = this.deps.batches.get(p.batchId);
        const iso = p.iso ? this.baseIso(p.batchId) : null;
        const payload = tarBundleEstimate(plan);
        checkSpace(dir, (p.tar ? payload : 0) + (iso ? iso.file.size + payload : 0));
        const stem = path.join(dir, `${slug(batch.comboName)}-${batch.id}`);
        const outputs: BuiltBundle[] = [];
        // One progress bar over both builds: the tar first, then the ISO.
        const tarTotal = p.tar ? plan.installBytes : 0;
        const isoTotal = iso ? iso.file.size + plan.installBytes : 0;
        const report = (offset: number) => (done: number) => ctx.progress(offset + done, tarTotal + isoTotal);
        ctx.log(`${plan.entries.length} files, ${plan.installBytes} bytes of content`);
        if (p.tar) {
          const file = `${stem}.tar${p.zstd ? '.zst' : ''}`;
          const r = await writeTarBundle(plan, this.deps.keys, file, ctx.signal, report(0), p.zstd ? zstdCompressor : undefined);
          this.deps.batches.recordOutput(batch.id, { kind: 'tar', file: r.file, size: r.size, sha256: r.sha256, compression: p.zstd ? 'zstd' : 'none' });
          ctx.log(`tar bundle: ${r.file}, ${r.size} bytes, sha256 ${r.sha256}`);
          outputs.push({ kind: 'tar', file: r.file, size: r.size, sha256: r.sha256 });
        }
        if (iso) {
          const combo = this.deps.combos.get(batch.comboId);
          const model = this.deps.models.get(combo.spec.modelId).revisions.find((r) => r.revision === combo.spec.modelRevision)!.spec;
          const r = await writeIsoBundle({
            plan,
            keys: this.deps.keys,
            baseIso: iso.artifact,
            baseIsoFile: iso.file.path,
            combo: batch.comboName,
            installDisk: model.installDisk,
            file: `${stem}.iso`,
            signal: ctx.signal,
            progress: (done) => report(tarTotal)(Math.min(done, isoTotal)),
          });
          this.deps.batches.recordOutput(batch.id, { kind: 'iso', file: r.file, size: r.size, sha256: r.sha256, compression: 'none' });
          ctx.log(`ISO bundle (${r.family}; menus changed: ${r.patched.join(', ')}): ${r.file}, ${r.size} bytes, sha256 ${r.sha256}`);
          outputs.push({ kind: 'iso', file: r.file, size: r.size, sha256: r.sha256 });
        }
        return { outputs };
      },
    };
  }
}
