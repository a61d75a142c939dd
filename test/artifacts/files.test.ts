/**
 * Drivers and the k3s runtime. Real NVIDIA and k3s files cannot be had on
 * these machines, so the inputs are stand-ins made with the real tools of
 * their formats: makeself (NVIDIA's .run is a makeself archive), GNU tar,
 * gcc (an ELF executable carrying a k3s version string), and the lab's
 * docker-archives (the air-gap image archive is a docker save).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/api/contract';
import { ArtifactService, artifactsSchema, FileArtifactErrors } from '../../main/artifacts';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { jobEnded } from '../support/jobs';
import { tempDir } from '../support/tmp';

let oci: string;
beforeAll(() => {
  oci = ensureOciFixtures().dir;
}, 300_000);

function station() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema]);
  const jobs = new JobService(store.db);
  return { jobs, artifacts: new ArtifactService(store.db, path.join(dir, 'blobs'), jobs) };
}

async function importAndWait(s: ReturnType<typeof station>, p: string): Promise<Job> {
  const job = await s.artifacts.startImport({ path: p });
  return jobEnded(s.jobs, job.id);
}

function makeNvidiaRun(dir: string, fileName: string, label: string): string {
  const payload = path.join(dir, `payload-${fileName}`);
  fs.mkdirSync(payload, { recursive: true });
  fs.writeFileSync(path.join(payload, 'nvidia-installer'), '#!/bin/sh\necho stand-in\n', { mode: 0o755 });
  const out = path.join(dir, fileName);
  execFileSync('makeself', ['--nocomp', '--quiet', payload, out, label, './nvidia-installer'], { stdio: 'ignore' });
  return out;
}

function makeK3sFolder(dir: string, opts: { version?: string | null; images?: string; script?: boolean; zstd?: boolean } = {}): string {
  const folder = path.join(dir, `k3s-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(folder);
  const src = path.join(folder, 'k3s.c');
  fs.writeFileSync(
    src,
    `#include <stdio.h>\nconst char *v = "${opts.version === null ? 'no version here' : (opts.version ?? 'v1.30.2+k3s1')}";\nint main(void) { puts(v); return 0; }\n`,
  );
  execFileSync('gcc', ['-O0', '-o', path.join(folder, 'k3s'), src]);
  fs.rmSync(src);
  fs.copyFileSync(path.join(oci, opts.images ?? 'app-amd64.docker.tar'), path.join(folder, 'k3s-airgap-images-amd64.tar'));
  if (opts.zstd) execFileSync('zstd', ['-q', '--rm', path.join(folder, 'k3s-airgap-images-amd64.tar')]);
  if (opts.script !== false)
    fs.writeFileSync(path.join(folder, 'install.sh'), '#!/bin/sh\n# stand-in for get.k3s.io\n: "${INSTALL_K3S_SKIP_DOWNLOAD:=true}"\n');
  return folder;
}

describe('driver import', () => {
  it('takes an NVIDIA .run (makeself) with its version and arch from its header', async () => {
    const s = station();
    const run = makeNvidiaRun(tempDir(), 'NVIDIA-Linux-x86_64-550.54.14.run', 'NVIDIA Accelerated Graphics Driver for Linux-x86_64 550.54.14');
    const job = await importAndWait(s, run);
    expect(job.state).toBe('succeeded');
    expect(s.artifacts.list()[0]).toMatchObject({ kind: 'driver', platform: 'x86_64', name: 'NVIDIA driver 550.54.14 (x86_64)' });
    expect(s.artifacts.list()[0]!.metadata).toMatchObject({ driver: 'nvidia', version: '550.54.14' });
  });

  it('refuses a .run whose header disagrees with its name, and a shell script that is no driver', async () => {
    const s = station();
    const dir = tempDir();
    const lying = makeNvidiaRun(dir, 'NVIDIA-Linux-x86_64-550.54.14.run', 'NVIDIA Accelerated Graphics Driver for Linux-x86_64 535.183.01');
    expect((await importAndWait(s, lying)).error?.code).toBe(FileArtifactErrors.DRIVER_NAME_MISMATCH);
    const plain = path.join(dir, 'NVIDIA-Linux-x86_64-470.1.run');
    fs.writeFileSync(plain, '#!/bin/sh\necho hello\n');
    expect((await importAndWait(s, plain)).error?.code).toBe(FileArtifactErrors.DRIVER_NOT_RECOGNIZED);
    expect(s.artifacts.list()).toEqual([]);
  });

  it('takes an OpenVINO runtime archive that holds setupvars.sh, and refuses one that does not', async () => {
    const s = station();
    const dir = tempDir();
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'runtime'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'runtime', 'version.txt'), '2024.3.0\n');
    const bad = path.join(dir, 'l_openvino_toolkit_ubuntu22_2024.3.0.16041_x86_64.tgz');
    execFileSync('tar', ['-czf', bad, '-C', tree, '.']);
    expect((await importAndWait(s, bad)).error?.code).toBe(FileArtifactErrors.DRIVER_NOT_RECOGNIZED);
    fs.writeFileSync(path.join(tree, 'setupvars.sh'), '#!/bin/bash\n');
    fs.rmSync(bad);
    execFileSync('tar', ['-czf', bad, '-C', tree, '.']);
    const ok = await importAndWait(s, bad);
    expect(ok.state).toBe('succeeded');
    expect(s.artifacts.list()[0]).toMatchObject({ kind: 'driver', platform: 'x86_64' });
    expect(s.artifacts.list()[0]!.metadata).toMatchObject({ driver: 'openvino', version: '2024.3.0.16041' });
  });
});

describe('k3s runtime import (a folder of binary, air-gap images, install script)', () => {
  it('reads the version from the binary, its arch from ELF, and checks the air-gap images match', async () => {
    const s = station();
    const job = await importAndWait(s, makeK3sFolder(tempDir()));
    expect(job.state).toBe('succeeded');
    const [a] = s.artifacts.list();
    expect(a).toMatchObject({ kind: 'runtime', name: 'k3s v1.30.2+k3s1 (x86_64)', platform: 'x86_64' });
    expect(a!.metadata).toMatchObject({ runtime: 'k3s', version: 'v1.30.2+k3s1', imageArchitectures: ['amd64'] });
    expect((a!.metadata.files as { file: string }[]).map((f) => f.file)).toEqual(['k3s', 'k3s-airgap-images-amd64.tar', 'install.sh']);
  });

  it('takes a folder whose install script changed as another runtime, and the very same folder again as already imported', async () => {
    const s = station();
    const folder = makeK3sFolder(tempDir());
    expect((await importAndWait(s, folder)).state).toBe('succeeded');
    expect((await importAndWait(s, folder)).error?.code).toBe('ARTIFACT_ALREADY_IMPORTED');
    fs.appendFileSync(path.join(folder, 'install.sh'), '# a newer install script\n');
    expect((await importAndWait(s, folder)).state).toBe('succeeded');
    const [a, b] = s.artifacts.list();
    expect(a!.digest).not.toBe(b!.digest);
    // The artifact's digest is the sha256 of its files' list, as sha256sum prints it.
    const files = a!.metadata.files as { file: string; digest: string }[];
    const list = files.map((f) => `${f.digest.slice(7)}  ${f.file}\n`).join('');
    expect(a!.digest).toBe(`sha256:${createHash('sha256').update(list).digest('hex')}`);
  });

  it('reads the image arches inside a .tar.zst air-gap archive (made by the zstd tool)', async () => {
    const s = station();
    const job = await importAndWait(s, makeK3sFolder(tempDir(), { zstd: true }));
    expect(job.state).toBe('succeeded');
    expect(s.artifacts.list()[0]!.metadata).toMatchObject({ imageArchitectures: ['amd64'] });
  });

  it.each([
    ['air-gap images for another arch', { images: 'app-arm64.docker.tar' }, FileArtifactErrors.RUNTIME_ARCH_MISMATCH],
    ['air-gap images for another arch, zstd-compressed', { images: 'app-arm64.docker.tar', zstd: true }, FileArtifactErrors.RUNTIME_ARCH_MISMATCH],
    ['no version string in the binary', { version: null }, FileArtifactErrors.RUNTIME_VERSION_UNKNOWN],
    ['no install script', { script: false }, FileArtifactErrors.RUNTIME_INCOMPLETE],
  ] as const)('refuses a runtime with %s', async (_what, opts, code) => {
    const s = station();
    const job = await importAndWait(s, makeK3sFolder(tempDir(), opts as never));
    expect(job.error?.code).toBe(code);
    expect(s.artifacts.list()).toEqual([]);
  });
});

describe('light app import (.tar.gz or .zip, language declared, arch for C)', () => {
  function pkg(dir: string, files: Record<string, string | Buffer>, kind: 'tar.gz' | 'zip', name = 'sensor_app'): string {
    const tree = path.join(dir, `tree-${Math.random().toString(36).slice(2)}`);
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
      fs.writeFileSync(path.join(tree, rel), content);
    }
    const out = path.join(dir, `${name}.${kind}`);
    if (kind === 'tar.gz') execFileSync('tar', ['-czf', out, '-C', tree, '.']);
    else execFileSync('python3', ['-c', 'import shutil,sys; shutil.make_archive(sys.argv[1][:-4], "zip", sys.argv[2])', out, tree]);
    return out;
  }

  async function importLight(s: ReturnType<typeof station>, p: string, language: 'python' | 'nodejs' | 'c', arch: 'x86_64' | 'aarch64' | null = null) {
    const job = await s.artifacts.startImport({ path: p, lightApp: { language, arch } });
    return jobEnded(s.jobs, job.id);
  }

  it('takes a Python .tar.gz and a Node.js .zip, and refuses a language its files do not fit', async () => {
    const s = station();
    const dir = tempDir();
    expect((await importLight(s, pkg(dir, { 'main.py': 'print(1)\n' }, 'tar.gz'), 'python')).state).toBe('succeeded');
    expect((await importLight(s, pkg(dir, { 'package.json': '{}', 'index.js': '' }, 'zip', 'node_app'), 'nodejs')).state).toBe('succeeded');
    expect(
      s.artifacts
        .list()
        .map((a) => [a.kind, a.name])
        .sort(),
    ).toEqual([
      ['lightapp', 'node_app'],
      ['lightapp', 'sensor_app'],
    ]);
    const wrong = await importLight(s, pkg(dir, { 'index.js': '' }, 'tar.gz', 'js_only'), 'python');
    expect(wrong.error?.code).toBe('LIGHTAPP_LANGUAGE_MISMATCH');
  });

  it('takes a C app built for its declared arch, and refuses another arch or none', async () => {
    const s = station();
    const dir = tempDir();
    const src = path.join(dir, 'main.c');
    fs.writeFileSync(src, 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-o', path.join(dir, 'app-bin'), src]);
    const c = pkg(dir, { 'bin/app': fs.readFileSync(path.join(dir, 'app-bin')), 'run.sh': '#!/bin/sh\n' }, 'tar.gz', 'c_app');
    expect((await importLight(s, c, 'c', 'aarch64')).error?.code).toBe('LIGHTAPP_ARCH_MISMATCH');
    expect((await importLight(s, c, 'c', null)).error?.code).toBe('LIGHTAPP_ARCH_REQUIRED');
    const ok = await importLight(s, c, 'c', 'x86_64');
    expect(ok.state).toBe('succeeded');
    expect(s.artifacts.list()[0]).toMatchObject({ kind: 'lightapp', platform: 'x86_64' });
    const notArchive = path.join(dir, 'notes.txt');
    fs.writeFileSync(notArchive, 'x');
    expect((await importLight(s, notArchive, 'python')).error?.code).toBe('LIGHTAPP_NOT_AN_ARCHIVE');
  });
});
