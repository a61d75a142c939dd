/**
 * A catalog station for tests. Inputs are real imports: the lab's OCI
 * fixtures, a makeself-built NVIDIA .run stand-in, and k3s runtime folders
 * whose binary is a gcc-built x86_64 ELF or a hand-written aarch64 ELF header
 * (stand-ins: no real k3s here), each carrying a k3s version string.
 *
 * `catalogInputs()` makes the files once; each `catalogStation()` imports
 * them into its own store, so two stations hold the same digests.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ComboSpecSchema, ContainerAppSpecSchema, HardwareModelSpecSchema, type ComboSpec } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppService, CatalogDocuments, catalogSchema, ComboService, ModelService } from '../../main/catalog';
import { BatchService, BundleService, bundlesSchema } from '../../main/bundles';
import { JobService, jobsSchema } from '../../main/jobs';
import { ActivationService, licensingSchema, SeatLedger, StationKeys } from '../../main/licensing';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { importedId } from '../support/jobs';
import { repoRoot, tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';

function k3sFolder(oci: string, arch: 'x86_64' | 'aarch64'): string {
  const dir = path.join(tempDir(), `k3s-${arch}`);
  fs.mkdirSync(dir);
  const bin = path.join(dir, 'k3s');
  if (arch === 'x86_64') {
    fs.writeFileSync(path.join(dir, 'k3s.c'), 'const char *v = "v1.30.2+k3s1"; int main(void) { return 0; }\n');
    execFileSync('gcc', ['-o', bin, path.join(dir, 'k3s.c')]);
    fs.rmSync(path.join(dir, 'k3s.c'));
  } else {
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = 2; // 64-bit
    elf[5] = 1; // little-endian
    elf[6] = 1;
    elf.writeUInt16LE(2, 16); // ET_EXEC
    elf.writeUInt16LE(0xb7, 18); // EM_AARCH64
    fs.writeFileSync(bin, Buffer.concat([elf, Buffer.from('\0v1.30.2+k3s1\0')]));
  }
  const images = arch === 'x86_64' ? ['app-amd64.docker.tar', 'amd64'] : ['app-arm64.docker.tar', 'arm64'];
  fs.copyFileSync(path.join(oci, images[0]!), path.join(dir, `k3s-airgap-images-${images[1]}.tar`));
  fs.writeFileSync(path.join(dir, 'install.sh'), '#!/bin/sh\n: "${INSTALL_K3S_SKIP_DOWNLOAD:=true}"\n');
  return dir;
}

export interface CatalogInputs {
  amd: string;
  arm: string;
  driver: string;
  k3sX86: string;
  k3sArm: string;
}

/** The files a station imports: made once, shared by every station of a test file. */
export function catalogInputs(): CatalogInputs {
  const oci = ensureOciFixtures().dir;
  const dir = tempDir();
  const payload = path.join(dir, 'payload');
  fs.mkdirSync(payload);
  fs.writeFileSync(path.join(payload, 'nvidia-installer'), '#!/bin/sh\n', { mode: 0o755 });
  const run = path.join(dir, 'NVIDIA-Linux-x86_64-550.54.14.run');
  execFileSync('makeself', ['--nocomp', '--quiet', payload, run, 'NVIDIA Accelerated Graphics Driver for Linux-x86_64 550.54.14', './nvidia-installer'], {
    stdio: 'ignore',
  });
  return {
    amd: path.join(oci, 'app-amd64.docker.tar'),
    arm: path.join(oci, 'app-arm64.oci'),
    driver: run,
    k3sX86: k3sFolder(oci, 'x86_64'),
    k3sArm: k3sFolder(oci, 'aarch64'),
  };
}

/** A store with the inputs imported, three published models (GPU, plain, GPU without driver) and four apps. */
export async function catalogStation(inputs: CatalogInputs) {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema, licensingSchema, bundlesSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  const imp = async (p: string) => importedId(jobs, (await artifacts.startImport({ path: p })).id, p);
  const ids = {
    amd: await imp(inputs.amd),
    arm: await imp(inputs.arm),
    driver: await imp(inputs.driver),
    k3sX86: await imp(inputs.k3sX86),
    k3sArm: await imp(inputs.k3sArm),
  };
  const models = new ModelService(store.db, artifacts);
  const apps = new AppService(store.db, artifacts);
  const combos = new ComboService(store.db, models, apps, artifacts);
  const catalog = new CatalogDocuments(store.db, models, apps, combos, artifacts);
  const base = {
    os: { family: 'rocky', version: '9' },
    arch: 'x86_64',
    minCpuCores: 4,
    minMemoryMiB: 8192,
    minDiskGiB: 64,
    installDisk: '/dev/sda',
    nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp' }],
  };
  const publishModel = (spec: object) => {
    const m = models.create(HardwareModelSpecSchema.parse(spec));
    models.publish(m.id);
    return m.id;
  };
  const gpuModel = publishModel({
    ...base,
    name: 'gpu-box',
    accelerators: [{ kind: 'nvidia-gpu', count: 1, pciIds: ['10de:2204'], driverArtifactId: ids.driver }],
  });
  const plainModel = publishModel({ ...base, name: 'plain-box' });
  const noDriverModel = publishModel({ ...base, name: 'gpu-no-driver', accelerators: [{ kind: 'nvidia-gpu', count: 1, pciIds: ['10de:2204'] }] });
  const app = (name: string, image: string, extra: object = {}, publish = true) => {
    const a = apps.create(
      'container',
      ContainerAppSpecSchema.parse({ name, workload: 'Deployment', containers: [{ name: 'main', imageArtifactId: image, ...extra }] }),
    );
    if (publish) apps.publish(a.id);
    return a.id;
  };
  const vision = app('vision-gateway', ids.amd, { ports: [{ containerPort: 8080, hostPort: 8080 }], gpu: { memoryMiB: 1024, computePercent: 30 } });
  const armOnly = app('arm-sensor', ids.arm);
  const web = app('web-console', ids.amd, { ports: [{ containerPort: 80, hostPort: 8080 }] });
  const draftApp = app('draft-app', ids.amd, {}, false);
  const combo = (over: Partial<ComboSpec>): ComboSpec =>
    ComboSpecSchema.parse({
      name: 'line-a',
      modelId: gpuModel,
      modelRevision: 1,
      runtimeArtifactId: ids.k3sX86,
      apps: [{ appId: vision, version: 1 }],
      ...over,
    });
  return { dir, jobs, artifacts, apps, catalog, combos, models, ids, gpuModel, plainModel, noDriverModel, vision, armOnly, web, draftApp, combo, store };
}

/** The station's key, batches and bundle builder over its store, with the repository's install.sh. */
export function bundleServices(s: Awaited<ReturnType<typeof catalogStation>>) {
  const keys = new StationKeys(s.store.db, path.join(s.dir, 'keys'), unlockedVault(path.join(s.dir, 'keys')));
  const activation = new ActivationService(new SeatLedger(s.store.db), keys);
  const batches = new BatchService(s.store.db, s.combos, s.models, keys, activation);
  const installerFile = path.join(repoRoot, 'resources', 'installer', 'install.sh');
  const deps = { batches, combos: s.combos, models: s.models, apps: s.apps, artifacts: s.artifacts, keys, installerFile };
  return { keys, batches, activation, deps, bundles: new BundleService(deps, s.jobs, path.join(s.dir, 'bundles')) };
}
