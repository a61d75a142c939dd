/**
 * Building a batch's bundles as a job: plan, check the disk space, stream,
 * record the outputs. ISO bundles come with the ISO writer (main/iso); until
 * then a build that asks for one is refused up front, never half-done.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Duplex, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { BundleBuildInput } from '../api/contract';
import { AppError } from '../api/errors';
import type { JobKind, JobService } from '../jobs';
import { BundleErrors, planBundle, type PlanDeps } from './plan';
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
        if (p.iso) {
          throw new AppError(
            BundleErrors.BUNDLE_ISO_NOT_READY,
            {
              en: 'ISO bundles are not available in this version yet; build the tar bundle.',
              zh: '此版本尚不支持 ISO 安装包；请构建 tar 安装包。',
            },
            { field: ['iso'] },
          );
        }
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
        const estimate = tarBundleEstimate(plan);
        checkSpace(dir, estimate);
        const batch = this.deps.batches.get(p.batchId);
        const file = path.join(dir, `${slug(batch.comboName)}-${batch.id}.tar${p.zstd ? '.zst' : ''}`);
        ctx.log(`${plan.entries.length} files, ${plan.installBytes} bytes of content; writing ${file}`);
        const r = await writeTarBundle(plan, this.deps.keys, file, ctx.signal, (done, total) => ctx.progress(done, total), p.zstd ? zstdCompressor : undefined);
        this.deps.batches.recordOutput(batch.id, { kind: 'tar', file: r.file, size: r.size, sha256: r.sha256, compression: p.zstd ? 'zstd' : 'none' });
        ctx.log(`tar bundle: ${r.file}, ${r.size} bytes, sha256 ${r.sha256}`);
        return { outputs: [{ kind: 'tar', file: r.file, size: r.size, sha256: r.sha256 }] };
      },
    };
  }
}
