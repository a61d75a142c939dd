import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../main/api/contract';
import { ArtifactErrors, ArtifactService, artifactsSchema, ImageErrors } from '../../main/artifacts';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureBoxImage, ensureInstallerIsos, ensureOciFixtures } from '../lab/cache';
import { jobEnded } from '../support/jobs';
import { cliPath, tempDir } from '../support/tmp';

let fixtures: string;
beforeAll(() => {
  fixtures = ensureOciFixtures().dir;
}, 300_000);

interface Station {
  store: Store;
  jobs: JobService;
  artifacts: ArtifactService;
  blobsRoot: string;
}
const open: Station[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.store.close();
});

function station(): Station {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'edgeforge.db'), [jobsSchema, artifactsSchema]);
  const jobs = new JobService(store.db);
  const blobsRoot = path.join(dir, 'blobs');
  const s = { store, jobs, artifacts: new ArtifactService(store.db, blobsRoot, jobs), blobsRoot };
  open.push(s);
  return s;
}

async function importAndWait(s: Station, source: string, platforms?: string[]): Promise<Job> {
  const job = await s.artifacts.startImport({ path: path.join(fixtures, source), ...(platforms ? { platforms } : {}) });
  return jobEnded(s.jobs, job.id);
}

function storedBlobs(s: Station): string[] {
  const root = path.join(s.blobsRoot, 'sha256');
  return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)));
}

function expectClean(s: Station) {
  expect(s.artifacts.list()).toEqual([]);
  expect(fs.readdirSync(path.join(s.blobsRoot, 'staging'))).toEqual([]);
  expect(storedBlobs(s)).toEqual([]);
}

describe('container image import (lab fixtures made by umoci and skopeo)', () => {
  it('imports a docker-archive with its platform, entrypoint, ports and env, every blob verified', async () => {
    const s = station();
    const job = await importAndWait(s, 'app-amd64.docker.tar');
    expect(job.state).toBe('succeeded');
    expect(job.bytesDone).toBe(fs.statSync(path.join(fixtures, 'app-amd64.docker.tar')).size);
    const [a] = s.artifacts.list();
    expect(a).toMatchObject({ kind: 'image', name: 'edgeforge/fixture-app:amd64', platform: 'linux/amd64' });
    expect(a!.metadata).toMatchObject({
      format: 'docker-archive',
      entrypoint: ['/app/run.sh'],
      exposedPorts: ['8080/tcp'],
      env: ['GREETING=hello', 'ARCH=amd64'],
    });
    for (const hex of storedBlobs(s)) {
      const file = path.join(s.blobsRoot, 'sha256', hex.slice(0, 2), hex);
      expect(createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(hex);
    }
  });

  it('imports an OCI layout from a folder and from a tar, to the same image', async () => {
    const a = station();
    const b = station();
    expect((await importAndWait(a, 'app-arm64.oci')).state).toBe('succeeded');
    expect((await importAndWait(b, 'app-arm64.oci.tar')).state).toBe('succeeded');
    expect(a.artifacts.list()[0]).toMatchObject({ platform: 'linux/arm64', name: 'app' });
    expect(b.artifacts.list()[0]!.digest).toBe(a.artifacts.list()[0]!.digest);
  });

  it('asks which platforms to take from a multi-arch index, and takes only those', async () => {
    const s = station();
    const none = await importAndWait(s, 'multiarch.oci');
    expect(none.error?.code).toBe(ImageErrors.PLATFORM_CHOICE_REQUIRED);
    expect(none.error?.message.en).toContain('linux/amd64, linux/arm64/v8');
    const wrong = await importAndWait(s, 'multiarch.oci', ['linux/riscv64']);
    expect(wrong.error?.code).toBe(ImageErrors.PLATFORM_NOT_IN_INDEX);
    expectClean(s);
    const arm = await importAndWait(s, 'multiarch.oci.tar', ['linux/arm64']);
    expect(arm.state).toBe('succeeded');
    expect(s.artifacts.list().map((x) => x.platform)).toEqual(['linux/arm64/v8']);
  });

  it.each([
    ['broken/truncated.docker.tar', ImageErrors.TRUNCATED_ARCHIVE, undefined],
    ['broken/layer-digest-mismatch.oci', ImageErrors.BLOB_DIGEST_MISMATCH, undefined],
    ['broken/missing-manifest.oci', ImageErrors.MANIFEST_MISSING, undefined],
    ['broken/arch-mismatch.oci', ImageErrors.PLATFORM_MISMATCH, ['linux/arm64']],
  ])('refuses %s with %s, and keeps nothing of it', async (source, code, platforms) => {
    const s = station();
    const job = await importAndWait(s, source, platforms);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe(code);
    expect(job.error?.message.zh).toMatch(/[\u4e00-\u9fff]/);
    expectClean(s);
  });

  it('refuses something that is not an image archive, and a path that is not there', async () => {
    const s = station();
    const notImage = path.join(tempDir(), 'notes.tar');
    execFileSync('tar', ['-cf', notImage, '-C', path.dirname(cliPath), path.basename(cliPath)]);
    const job = await s.artifacts.startImport({ path: notImage });
    const j = await jobEnded(s.jobs, job.id);
    expect(j.state).toBe('failed');
    expect(j.error?.code).toBe(ImageErrors.NOT_AN_IMAGE_ARCHIVE);
    await expect(s.artifacts.startImport({ path: '/no/such/image.tar' })).rejects.toMatchObject({ code: ArtifactErrors.IMPORT_SOURCE_NOT_FOUND });
    await expect(s.artifacts.startImport({ path: 'relative.tar' })).rejects.toMatchObject({ code: ArtifactErrors.IMPORT_PATH_NOT_ABSOLUTE });
  });

  it('stores a layer shared by two images once, and refuses the same image twice', async () => {
    const s = station();
    const job = await importAndWait(s, 'shared.oci');
    expect(job.state).toBe('succeeded');
    const list = s.artifacts.list();
    expect(list.map((a) => a.name).sort()).toEqual(['app', 'tool']);
    const layersOf = (name: string) => (list.find((a) => a.name === name)!.metadata.layers as { digest: string }[]).map((l) => l.digest);
    const base = layersOf('app')[0]!;
    expect(layersOf('tool')[0]).toBe(base);
    const referenced = new Set(list.flatMap((a) => [a.digest, a.metadata.configDigest as string, ...layersOf(a.name)]));
    expect(storedBlobs(s).sort()).toEqual([...referenced].map((d) => d.slice(7)).sort());
    const again = await importAndWait(s, 'app-amd64.oci');
    expect(again.error?.code).toBe(ArtifactErrors.ARTIFACT_ALREADY_IMPORTED);
    expect(again.error?.message.en).toContain('"app"');
  });

  it('frees only the blobs no artifact references, with a dry run first', async () => {
    const s = station();
    await importAndWait(s, 'shared.oci');
    const tool = s.artifacts.list().find((a) => a.name === 'tool')!;
    s.artifacts.remove(tool.id);
    const dry = s.artifacts.gc(true);
    expect(dry.unreferencedBlobs).toBe(3); // tool's manifest, config and top layer; the base layer stays
    expect(storedBlobs(s)).toHaveLength(dry.unreferencedBlobs + dry.storedBlobs);
    const real = s.artifacts.gc(false);
    expect(real.unreferencedBlobs).toBe(3);
    expect(storedBlobs(s)).toHaveLength(real.storedBlobs);
    expect(s.artifacts.gc(true).unreferencedBlobs).toBe(0);
  });
});

describe('installer ISO import', () => {
  it('stores the lab ISO by its sha256 with what was read of it', async () => {
    const s = station();
    const iso = ensureInstallerIsos(ensureBoxImage()).isolinux;
    const job = await s.artifacts.startImport({ path: iso });
    const j = await jobEnded(s.jobs, job.id);
    expect(j.state).toBe('succeeded');
    const [a] = s.artifacts.list();
    expect(a).toMatchObject({ kind: 'iso', name: 'EFLAB_INSTALL', platform: 'x86_64' });
    expect(a!.digest).toBe(`sha256:${execFileSync('sha256sum', [iso], { encoding: 'utf8' }).split(' ')[0]}`);
    expect(a!.metadata).toMatchObject({ family: 'rhel-kickstart', bios: true, uefi: true, hybrid: true });
    expect(storedBlobs(s)).toEqual([a!.digest.slice(7)]);
  }, 120_000);

  it('refuses an ISO that cannot boot, and keeps nothing of it', async () => {
    const s = station();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'readme.txt'), 'data\n');
    const iso = path.join(tempDir(), 'data.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-o', iso, dir], { stdio: 'ignore' });
    const job = await s.artifacts.startImport({ path: iso });
    const j = await jobEnded(s.jobs, job.id);
    expect(j.error?.code).toBe('NO_EL_TORITO');
    expectClean(s);
  });
});

describe('an import killed mid-way', () => {
  it('leaves no artifact, no row and no blob; the next start clears its staging and marks the job interrupted', async () => {
    const work = tempDir();
    const home = path.join(work, 'home');
    // A docker-archive with one 400 MiB layer, built with GNU tar.
    const layerDir = path.join(work, 'layer');
    fs.mkdirSync(layerDir);
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(layerDir, 'big.bin')}`, 'bs=1M', 'count=400', 'status=none']);
    const layerTar = path.join(work, 'layer.tar');
    execFileSync('tar', ['-cf', layerTar, '-C', layerDir, 'big.bin']);
    const diffId = `sha256:${execFileSync('sha256sum', [layerTar], { encoding: 'utf8' }).split(' ')[0]}`;
    const pkg = path.join(work, 'pkg');
    fs.mkdirSync(pkg);
    fs.renameSync(layerTar, path.join(pkg, 'layer.tar'));
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
    const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
    fs.writeFileSync(path.join(pkg, configName), config);
    fs.writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['big:1'], Layers: ['layer.tar'] }]));
    const archive = path.join(work, 'big.docker.tar');
    execFileSync('tar', ['-cf', archive, '-C', pkg, 'layer.tar', configName, 'manifest.json']);
    fs.rmSync(layerDir, { recursive: true });
    fs.rmSync(pkg, { recursive: true });

    const env = { ...process.env, EDGEFORGE_HOME: home };
    const child = spawn(process.execPath, [cliPath, 'import', archive], { env, stdio: 'ignore' });
    const staging = path.join(home, 'blobs', 'staging');
    // Wait until it is part-way: staging holds part of the layer (on a loaded machine the CLI's start alone takes seconds).
    const partWay = () => {
      try {
        const parts = fs.existsSync(staging)
          ? fs.readdirSync(staging).flatMap((d) => fs.readdirSync(path.join(staging, d)).map((f) => path.join(staging, d, f)))
          : [];
        return parts.some((f) => fs.statSync(f).size > 20 * 1024 * 1024);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // moved while we looked
        throw e;
      }
    };
    const deadline = Date.now() + 60_000;
    while (!partWay() && child.exitCode === null && child.signalCode === null) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('the import never got part-way (20 MiB of the layer in staging) within 60 s');
      }
      await sleep(25);
    }
    // Killed while it runs, not after it finished (or failed) by itself.
    expect(child.exitCode, 'the import ended by itself before it could be killed part-way').toBeNull();
    expect(child.signalCode, 'the import ended by itself before it could be killed part-way').toBeNull();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const list = JSON.parse(execFileSync(process.execPath, [cliPath, 'artifacts', '--json'], { env, encoding: 'utf8' })) as unknown[];
    expect(list).toEqual([]);
    expect(fs.readdirSync(staging).length).toBeGreaterThan(0); // what the kill left, until an owner starts
    // The next owner start (here: a real gc) cleans up.
    execFileSync(process.execPath, [cliPath, 'gc'], { env });
    expect(fs.readdirSync(staging)).toEqual([]);
    const stored = path.join(home, 'blobs', 'sha256');
    expect(fs.readdirSync(stored)).toEqual([]);
    const jobs = JSON.parse(execFileSync(process.execPath, [cliPath, 'jobs', 'list', '--json'], { env, encoding: 'utf8' })) as Job[];
    expect(jobs.map((j) => [j.kind, j.state])).toEqual([['artifacts.import', 'interrupted']]);
  }, 180_000);
});
