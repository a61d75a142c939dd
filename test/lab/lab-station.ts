/**
 * A station (catalog, key, batches, seat ledger) with a published combo for
 * the lab's boxes and a tar bundle EdgeForge built for one of its batches:
 * the product's own builder, not a test-side one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BatchCreateInputSchema, HardwareModelSpecSchema } from '../../main/api/contract';
import { bundleServices, catalogInputs, catalogStation } from '../catalog/station';
import { importedId, jobEnded } from '../support/jobs';
import { tempDir } from '../support/tmp';
import { EDU_PCI_ID } from './lab';

export async function labBundleStation(opts: { quantity: number; serialPrefix?: string }) {
  const inputs = catalogInputs();
  const s = await catalogStation(inputs);
  // The same k3s folder, with a stand-in install script that records how it was called.
  const k3s = path.join(tempDir(), 'k3s-recording');
  fs.cpSync(inputs.k3sX86, k3s, { recursive: true });
  fs.writeFileSync(
    path.join(k3s, 'install.sh'),
    '#!/bin/sh\n# stand-in for get.k3s.io: records the INSTALL_K3S_ variables it was given\nmkdir -p /var/lib/edgeforge-test\nenv | grep "^INSTALL_K3S_" | sort > /var/lib/edgeforge-test/k3s-install.env\n',
    { mode: 0o755 },
  );
  const runtime = await importedId(s.jobs, (await s.artifacts.startImport({ path: k3s })).id, k3s);
  const m = s.models.create(
    HardwareModelSpecSchema.parse({
      name: 'lab-gpu-box',
      os: { family: 'debian', version: '12' },
      arch: 'x86_64',
      minCpuCores: 1,
      minMemoryMiB: 2048,
      minDiskGiB: 16,
      installDisk: '/dev/vda',
      // The lab's accelerator stand-in (QEMU's edu device), with the NVIDIA .run stand-in as its driver.
      accelerators: [{ kind: 'nvidia-gpu', count: 1, pciIds: [EDU_PCI_ID], driverArtifactId: s.ids.driver }],
      nics: [
        { name: 'eth0', role: 'wan', addressing: 'dhcp' },
        { name: 'eth1', role: 'cluster', addressing: 'static', address: '10.77.0.20/24' },
      ],
      serialPorts: [{ device: '/dev/ttyS1', role: 'rs485', baud: 9600, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' }],
    }),
  );
  s.models.publish(m.id);
  const c = s.combos.create(
    s.combo({ name: 'lab-line', modelId: m.id, runtimeArtifactId: runtime, apps: [{ appId: s.vision, version: 1, overrides: { replicas: 2, env: [] } }] }),
  );
  s.combos.publish(c.id);
  const services = bundleServices(s);
  const batchId = services.batches.create(
    BatchCreateInputSchema.parse({ comboId: c.id, quantity: opts.quantity, serialPrefix: opts.serialPrefix ?? 'LAB-' }),
  ).id;
  const done = await jobEnded(s.jobs, (await services.bundles.startBuild({ batchId, tar: true, iso: false, zstd: false, outDir: tempDir() })).id);
  if (done.error) throw new Error(`bundle build failed: ${JSON.stringify(done.error)}`);
  const bundle = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
  return { s, ...services, batchId, bundle };
}
