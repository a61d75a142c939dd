/**
 * bundle: `edgeforge bundle build` against the standard tools on the same
 * bytes, in the same run.
 *   - tar: EdgeForge's tar bundle vs `tar -cf - <the bundle's tree> | sha256sum`
 *     (archive and hash the same files in one pass);
 *   - ISO: EdgeForge's remastered ISO bundle vs `xorriso -as mkisofs -R -J` of
 *     the base ISO's tree plus the bundle's tree (the same content, written anew;
 *     ISO level 3, as files of 4 GiB need).
 * Peak RSS is the figure that must stay flat: BENCH_BUNDLE_MB sets the size
 * of the image inside the bundle (default 1024; the docs record 4096).
 * The ISO part needs the lab's base ISO (npx tsx test/lab/build.ts).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, measure, mib, type Run } from './common';

function run(env: NodeJS.ProcessEnv, args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** A docker-archive whose one layer holds `mb` MiB of random bytes. */
function bigImage(dir: string, mb: number): string {
  const pkg = path.join(dir, 'pkg');
  fs.mkdirSync(path.join(pkg, 'rootfs'), { recursive: true });
  execFileSync('dd', ['if=/dev/urandom', `of=${path.join(pkg, 'rootfs', 'blob.bin')}`, 'bs=1M', `count=${mb}`, 'status=none']);
  const layer = path.join(pkg, 'layer.tar');
  execFileSync('tar', ['-cf', layer, '-C', path.join(pkg, 'rootfs'), 'blob.bin']);
  fs.rmSync(path.join(pkg, 'rootfs'), { recursive: true });
  const diffId = `sha256:${execFileSync('sha256sum', [layer], { encoding: 'utf8' }).split(' ')[0]}`;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  fs.writeFileSync(path.join(pkg, configName), config);
  fs.writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['bench/big:1'], Layers: ['layer.tar'] }]));
  const archive = path.join(dir, 'big.docker.tar');
  execFileSync('tar', ['-cf', archive, '-C', pkg, 'layer.tar', configName, 'manifest.json']);
  fs.rmSync(pkg, { recursive: true });
  return archive;
}

/** A k3s runtime folder stand-in: a gcc-built ELF with a version string, a small air-gap archive, an install script. */
function runtimeFolder(dir: string): string {
  const k3s = path.join(dir, 'k3s-x86_64');
  fs.mkdirSync(k3s);
  fs.writeFileSync(path.join(k3s, 'k.c'), 'const char *v = "v1.30.2+k3s1"; int main(void) { return 0; }\n');
  execFileSync('gcc', ['-o', path.join(k3s, 'k3s'), path.join(k3s, 'k.c')]);
  fs.rmSync(path.join(k3s, 'k.c'));
  execFileSync('tar', ['-cf', path.join(k3s, 'k3s-airgap-images-amd64.tar'), '-C', k3s, 'k3s']);
  fs.writeFileSync(path.join(k3s, 'install.sh'), '#!/bin/sh\n: "${INSTALL_K3S_SKIP_DOWNLOAD:=true}"\n');
  return k3s;
}

function labIso(): string | null {
  const cache = process.env.EDGEFORGE_LAB_CACHE ?? path.join(os.homedir(), '.cache', 'edgeforge-lab');
  if (!fs.existsSync(cache)) return null;
  const iso = fs
    .readdirSync(cache)
    .filter((d) => d.startsWith('iso-'))
    .map((d) => path.join(cache, d, 'base-grub.iso'))
    .find((f) => fs.existsSync(f));
  return iso ?? null;
}

const line = (what: string, tool: string, t: Run, e: Run) =>
  `  ${what}: ${tool} ${t.seconds.toFixed(2)} s, peak RSS ${mib(t.maxRssKiB)} MiB;  edgeforge ${e.seconds.toFixed(2)} s, peak RSS ${mib(e.maxRssKiB)} MiB;  throughput ratio ${(t.seconds / e.seconds).toFixed(2)}, RSS ratio ${(e.maxRssKiB / t.maxRssKiB).toFixed(2)}`;

export function benchBundle(): void {
  const mb = Number(process.env.BENCH_BUNDLE_MB ?? 1024);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-bundle-'));
  const env = { ...process.env, EDGEFORGE_HOME: path.join(dir, 'home'), EDGEFORGE_LANG: 'en' };
  try {
    const iso = labIso();
    run(env, ['import', bigImage(dir, mb)]);
    run(env, ['import', runtimeFolder(dir)]);
    if (iso) run(env, ['import', iso]);
    const arts = JSON.parse(run(env, ['artifacts', '--json'])) as { kind: string; digest: string; name: string; platform: string | null }[];
    const digest = (kind: string) => arts.find((a) => a.kind === kind)!.digest;
    const doc = {
      format: 'edgeforge.catalog/v2',
      exportedAt: new Date().toISOString(),
      artifacts: arts.map((a) => ({ kind: a.kind, digest: a.digest, name: a.name, platform: a.platform })),
      models: [
        {
          name: 'bench-box',
          revisions: [
            {
              revision: 1,
              state: 'published',
              spec: {
                name: 'bench-box',
                os: { family: 'rocky', version: '9', baseIsoArtifactId: iso ? digest('iso') : null },
                arch: 'x86_64',
                minCpuCores: 1,
                minMemoryMiB: 2048,
                minDiskGiB: 16,
                installDisk: '/dev/vda',
                nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp' }],
              },
            },
          ],
        },
      ],
      apps: [
        {
          name: 'bench-app',
          kind: 'container',
          versions: [
            {
              version: 1,
              state: 'published',
              change: 'initial',
              spec: { name: 'bench-app', workload: 'Deployment', containers: [{ name: 'main', imageArtifactId: digest('image') }] },
            },
          ],
        },
      ],
      combos: [
        {
          name: 'bench-line',
          state: 'published',
          spec: { name: 'bench-line', model: 'bench-box', modelRevision: 1, runtimeArtifactId: digest('runtime'), apps: [{ app: 'bench-app', version: 1 }] },
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'doc.json'), JSON.stringify(doc));
    run(env, ['combos', 'import', path.join(dir, 'doc.json')]);
    const combo = (JSON.parse(run(env, ['combos', 'list', '--json'])) as { id: string }[])[0]!.id;
    const batch = (JSON.parse(run(env, ['batch', 'create', combo, '--quantity', '100', '--prefix', 'B-', '--json'])) as { id: string }).id;

    console.log(`bundle (${mb} MiB image): edgeforge bundle build vs the standard tools on the same bytes`);
    const out = path.join(dir, 'out');
    const ef = measure(process.execPath, [cli, 'bundle', 'build', batch, '--tar', '--out', out, '--json'], env);
    const tarFile = (JSON.parse(ef.stdout) as { result: { outputs: { file: string; size: number }[] } }).result.outputs[0]!;
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    execFileSync('tar', ['-xf', tarFile.file, '-C', tree]);
    execFileSync('cat', [tarFile.file], { stdio: 'ignore', maxBuffer: Infinity });
    const std = measure('sh', ['-c', `tar -cf - -C "${tree}" . | sha256sum`]);
    console.log(line(`tar (${mib(tarFile.size / 1024)} MiB)`, 'tar | sha256sum', std, ef));
    fs.rmSync(out, { recursive: true, force: true });

    if (iso) {
      const isoTree = path.join(dir, 'isotree');
      execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', isoTree], { stdio: 'ignore' });
      execFileSync('chmod', ['-R', 'u+w', isoTree]);
      fs.renameSync(path.join(tree, fs.readdirSync(tree)[0]!), path.join(isoTree, 'edgeforge-bundle'));
      const efIso = measure(process.execPath, [cli, 'bundle', 'build', batch, '--iso', '--out', out, '--json'], env);
      const isoOut = (JSON.parse(efIso.stdout) as { result: { outputs: { size: number }[] } }).result.outputs[0]!;
      const xo = measure('xorriso', ['-as', 'mkisofs', '-quiet', '-iso-level', '3', '-R', '-J', '-o', path.join(dir, 'x.iso'), isoTree]);
      console.log(line(`ISO (${mib(isoOut.size / 1024)} MiB)`, 'xorriso -as mkisofs', xo, efIso));
    } else console.log('  ISO: skipped (no lab base ISO; run npx tsx test/lab/build.ts)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
