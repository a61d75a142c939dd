/**
 * import: `edgeforge import` of a docker-archive against skopeo copying the
 * same archive into an OCI layout (the standard tool doing the same reading,
 * hashing and storing). Peak RSS must stay flat as the image grows, so it runs
 * at two sizes. BENCH_IMPORT_MB sets the large size (default 2048).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, measure, mib } from './common';

/** A docker-archive with one layer of `mb` MiB (GNU tar), whose config names the layer's diff_id. */
function makeArchive(dir: string, mb: number): string {
  const pkg = path.join(dir, `pkg-${mb}`);
  fs.mkdirSync(path.join(pkg, 'rootfs'), { recursive: true });
  execFileSync('dd', ['if=/dev/urandom', `of=${path.join(pkg, 'rootfs', 'blob.bin')}`, 'bs=1M', `count=${mb}`, 'status=none']);
  const layer = path.join(pkg, 'layer.tar');
  execFileSync('tar', ['-cf', layer, '-C', path.join(pkg, 'rootfs'), 'blob.bin']);
  fs.rmSync(path.join(pkg, 'rootfs'), { recursive: true });
  const diffId = `sha256:${execFileSync('sha256sum', [layer], { encoding: 'utf8' }).split(' ')[0]}`;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  fs.writeFileSync(path.join(pkg, configName), config);
  fs.writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [`bench/big:${mb}`], Layers: ['layer.tar'] }]));
  const archive = path.join(dir, `big-${mb}.docker.tar`);
  execFileSync('tar', ['-cf', archive, '-C', pkg, 'layer.tar', configName, 'manifest.json']);
  fs.rmSync(pkg, { recursive: true });
  return archive;
}

export function benchImport(): void {
  const big = Number(process.env.BENCH_IMPORT_MB ?? 2048);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-import-'));
  try {
    console.log(`import docker-archive (edgeforge import vs skopeo copy docker-archive: -> oci:)`);
    for (const mb of [256, big]) {
      const archive = makeArchive(dir, mb);
      execFileSync('cat', [archive], { stdio: 'ignore', maxBuffer: Infinity });
      const sk = measure('skopeo', ['copy', '-q', `docker-archive:${archive}`, `oci:${path.join(dir, `oci-${mb}`)}:big`]);
      fs.rmSync(path.join(dir, `oci-${mb}`), { recursive: true, force: true });
      const env = { ...process.env, EDGEFORGE_HOME: path.join(dir, `home-${mb}`) };
      const ef = measure(process.execPath, [cli, 'import', archive], env);
      fs.rmSync(path.join(dir, `home-${mb}`), { recursive: true, force: true });
      fs.rmSync(archive);
      console.log(
        `  ${String(mb).padStart(5)} MiB  skopeo ${sk.seconds.toFixed(2)} s, peak RSS ${mib(sk.maxRssKiB)} MiB;  edgeforge ${ef.seconds.toFixed(2)} s, peak RSS ${mib(ef.maxRssKiB)} MiB;  time ratio ${(ef.seconds / sk.seconds).toFixed(2)}, RSS ratio ${(ef.maxRssKiB / sk.maxRssKiB).toFixed(2)}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
