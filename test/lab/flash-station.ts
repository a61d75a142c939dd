/**
 * A station data directory ready to flash the lab's boxes: the catalog
 * (the lab's accelerator stand-in with its driver stand-in, a container
 * app, and the k3s stand-in of k3s-stand-in.ts, which registers its node
 * with the Kubernetes API stand-in), a published combo, a batch and its tar
 * bundle, all made by the product's own services (openRuntime).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ComboSpecSchema, ContainerAppSpecSchema, HardwareModelSpecSchema, type HardwareModelSpecInput } from '../../main/api/contract';
import { NativeHost, childProcessChannel } from '../../main/native';
import { openRuntime, type Runtime } from '../../main/runtime';
import { catalogInputs } from '../catalog/station';
import { importedId, jobEnded } from '../support/jobs';
import { nativeWorkerPath, tempDir } from '../support/tmp';
import fs from 'node:fs';
import { writeK3sStandIn } from './k3s-stand-in';
import { EDU_PCI_ID } from './lab';

export const LAB_MODEL: HardwareModelSpecInput = {
  name: 'lab-box',
  os: { family: 'debian', version: '12' },
  arch: 'x86_64',
  minCpuCores: 1,
  minMemoryMiB: 2048,
  minDiskGiB: 16,
  installDisk: '/dev/vda',
  accelerators: [{ kind: 'nvidia-gpu', count: 1, pciIds: [EDU_PCI_ID] }],
  nics: [
    { name: 'eth0', role: 'wan', addressing: 'dhcp' },
    { name: 'eth1', role: 'cluster', addressing: 'static', address: '10.77.0.20/24' },
  ],
  serialPorts: [
    { device: '/dev/ttyS0', role: 'console', baud: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none', provisioningConsole: true },
    { device: '/dev/ttyS1', role: 'rs485', baud: 9600, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
  ],
};

export function openStation(home: string): Runtime {
  return openRuntime({
    home,
    native: new NativeHost('child-process', childProcessChannel(nativeWorkerPath)),
    mode: 'owner',
    version: 'test',
    shell: 'cli',
    osLocale: 'en',
  });
}

/** `registration` is the Kubernetes stand-in's registration listener as the boxes reach it (HOST:PORT). */
export async function flashStation(opts: { quantity: number; registration: string; serialPrefix?: string }) {
  const home = tempDir();
  const inputs = catalogInputs();
  const k3s = path.join(tempDir(), 'k3s-stand-in');
  fs.cpSync(inputs.k3sX86, k3s, { recursive: true });
  writeK3sStandIn(k3s, { registration: opts.registration });
  // The driver stand-in carries 24 MiB of random bytes, so the bundle is large next to the 2 MiB of SFTP
  // writes in flight: a cut mid-upload then leaves a verified part to resume from.
  const payload = path.join(tempDir(), 'driver-payload');
  fs.mkdirSync(payload);
  fs.writeFileSync(path.join(payload, 'nvidia-installer'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(payload, 'firmware.bin'), randomBytes(24 * 1024 * 1024));
  const driverRun = path.join(tempDir(), 'NVIDIA-Linux-x86_64-550.54.14.run');
  execFileSync('makeself', ['--nocomp', '--quiet', payload, driverRun, 'NVIDIA Accelerated Graphics Driver for Linux-x86_64 550.54.14', './nvidia-installer'], {
    stdio: 'ignore',
  });
  const rt = openStation(home);
  try {
    const imp = async (p: string) => importedId(rt.jobs, (await rt.artifacts.startImport({ path: p })).id, p);
    const image = await imp(inputs.amd);
    const driver = await imp(driverRun);
    const runtime = await imp(k3s);
    const spec = HardwareModelSpecSchema.parse({ ...LAB_MODEL, accelerators: [{ ...LAB_MODEL.accelerators![0]!, driverArtifactId: driver }] });
    const m = rt.models.create(spec);
    rt.models.publish(m.id);
    const a = rt.apps.create(
      'container',
      ContainerAppSpecSchema.parse({ name: 'vision', workload: 'Deployment', containers: [{ name: 'api', imageArtifactId: image }] }),
    );
    rt.apps.publish(a.id);
    const combo = rt.combos.create(
      ComboSpecSchema.parse({
        name: 'lab-line',
        modelId: m.id,
        modelRevision: 1,
        runtimeArtifactId: runtime,
        apps: [{ appId: a.id, version: 1 }],
        nodeLabels: { site: 'lab-bench' },
      }),
    );
    rt.combos.publish(combo.id);
    const batch = rt.batches.create({ comboId: combo.id, quantity: opts.quantity, serialPrefix: opts.serialPrefix ?? 'FL-', serialDigits: 6 });
    const done = await jobEnded(rt.jobs, (await rt.bundles.startBuild({ batchId: batch.id, tar: true, iso: false, zstd: false, outDir: null })).id);
    if (done.error) throw new Error(`bundle build failed: ${JSON.stringify(done.error)}`);
    const bundle = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
    return { home, batchId: batch.id, bundle, model: spec };
  } finally {
    await rt.close();
  }
}
