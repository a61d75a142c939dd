/**
 * Appliance combo rules. Inputs are real imports: the lab's OCI fixtures, a
 * makeself-built NVIDIA .run stand-in, and k3s runtime folders whose binary
 * is a gcc-built x86_64 ELF or a hand-written aarch64 ELF header (stand-ins:
 * no real k3s here), each carrying a k3s version string.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ComboSpecSchema, ContainerAppSpecSchema, HardwareModelSpecSchema, type ComboSpec } from '../../main/api/contract';
import { ArtifactService, artifactsSchema } from '../../main/artifacts';
import { AppService, catalogSchema, ComboErrors, ComboService, ModelService } from '../../main/catalog';
import { JobService, jobsSchema } from '../../main/jobs';
import { Store } from '../../main/store';
import { ensureOciFixtures } from '../lab/cache';
import { importedId } from '../support/jobs';
import { tempDir } from '../support/tmp';

let oci: string;
beforeAll(() => {
  oci = ensureOciFixtures().dir;
}, 300_000);

function k3sFolder(arch: 'x86_64' | 'aarch64'): string {
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

async function setup() {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'db.sqlite'), [jobsSchema, artifactsSchema, catalogSchema]);
  const jobs = new JobService(store.db);
  const artifacts = new ArtifactService(store.db, path.join(dir, 'blobs'), jobs);
  const imp = async (p: string) => importedId(jobs, (await artifacts.startImport({ path: p })).id, p);
  const payload = path.join(dir, 'payload');
  fs.mkdirSync(payload);
  fs.writeFileSync(path.join(payload, 'nvidia-installer'), '#!/bin/sh\n', { mode: 0o755 });
  const run = path.join(dir, 'NVIDIA-Linux-x86_64-550.54.14.run');
  execFileSync('makeself', ['--nocomp', '--quiet', payload, run, 'NVIDIA Accelerated Graphics Driver for Linux-x86_64 550.54.14', './nvidia-installer'], {
    stdio: 'ignore',
  });
  const ids = {
    amd: await imp(path.join(oci, 'app-amd64.docker.tar')),
    arm: await imp(path.join(oci, 'app-arm64.oci')),
    driver: await imp(run),
    k3sX86: await imp(k3sFolder('x86_64')),
    k3sArm: await imp(k3sFolder('aarch64')),
  };
  const models = new ModelService(store.db, artifacts);
  const apps = new AppService(store.db, artifacts);
  const combos = new ComboService(store.db, models, apps, artifacts);
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
  return { combos, models, ids, gpuModel, plainModel, noDriverModel, vision, armOnly, web, draftApp, combo, store };
}

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    return e as { code: string; text: { en: string; zh: string }; fields: { issue: string; path: unknown[]; message: { en: string } }[] };
  }
  throw new Error('expected a refusal');
}

describe('appliance combos: nothing that cannot run on the model is accepted', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup();
  }, 120_000);

  it('accepts a combo whose images, GPU request, driver and runtime fit the model, and publishes it', () => {
    const c = s.combos.create(s.combo({ nodeLabels: { 'node-type': 'gpu', 'edgeforge.io/line': 'a' } }));
    expect(s.combos.publish(c.id).state).toBe('published');
  });

  it.each([
    [
      'an arm64 image on an x86_64 model',
      (x: typeof s) => x.combo({ name: 'c1', apps: [{ appId: x.armOnly, version: 1, overrides: { replicas: null, env: [] } }] }),
      'image-arch',
      /Image "app" of app "arm-sensor".*linux\/arm64.*x86_64/,
    ],
    [
      'a GPU request on a model without a GPU',
      (x: typeof s) => x.combo({ name: 'c2', modelId: x.plainModel }),
      'gpu-without-gpu',
      /"vision-gateway".*GPU share.*"plain-box" has no NVIDIA GPU/,
    ],
    [
      'an accelerator without a driver artifact',
      (x: typeof s) => x.combo({ name: 'c3', modelId: x.noDriverModel }),
      'accelerator-without-driver',
      /"gpu-no-driver" declares accelerator 1 \(nvidia-gpu\) with no driver/,
    ],
    [
      'a runtime of the wrong arch',
      (x: typeof s) => x.combo({ name: 'c4', runtimeArtifactId: x.ids.k3sArm }),
      'runtime-arch',
      /runtime "k3s v1\.30\.2\+k3s1 \(aarch64\)" is for aarch64, but the model is x86_64/,
    ],
    [
      'two apps on one host port',
      (x: typeof s) =>
        x.combo({
          name: 'c5',
          apps: [
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
            { appId: x.web, version: 1, overrides: { replicas: null, env: [] } },
          ],
        }),
      'host-port-clash',
      /"web-console" and app "vision-gateway" both use host port 8080\/TCP/,
    ],
    [
      'one app twice (a service-name clash)',
      (x: typeof s) =>
        x.combo({
          name: 'c6',
          apps: [
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
            { appId: x.vision, version: 1, overrides: { replicas: null, env: [] } },
          ],
        }),
      'service-clash',
      /"vision-gateway" is in the combo twice/,
    ],
    [
      'a draft app version',
      (x: typeof s) => x.combo({ name: 'c7', apps: [{ appId: x.draftApp, version: 1, overrides: { replicas: null, env: [] } }] }),
      'app-not-published',
      /"draft-app" version 1 is a draft/,
    ],
  ])('refuses %s, naming what is wrong', (_what, make, rule, message) => {
    const e = refusal(() => s.combos.create(make(s)));
    expect(e.code).toBe(ComboErrors.COMBO_REFUSED);
    const problem = e.fields.find((f) => f.issue === rule);
    expect(problem, JSON.stringify(e.fields)).toBeDefined();
    expect(problem!.message.en).toMatch(message);
    expect(e.text.zh).toMatch(/[\u4e00-\u9fff]/);
  });

  it('refuses bad node labels at the schema, by label', () => {
    const r = ComboSpecSchema.safeParse({ ...s.combo({}), nodeLabels: { '-bad': 'x', ok: 'also-ok', good: '-bad-value' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([
      ['nodeLabels', '-bad'],
      ['nodeLabels', 'good'],
    ]);
  });
});
