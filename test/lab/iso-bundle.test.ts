/**
 * ISO bundles booted for real: the lab's two base installer ISOs, remastered
 * by EdgeForge, install a box unattended under SeaBIOS and under OVMF; the
 * installed box then installs the bundle on its first boot.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BatchCreateInputSchema, HardwareModelSpecSchema } from '../../main/api/contract';
import { bundleServices, catalogInputs, catalogStation } from '../catalog/station';
import { importedId, jobEnded } from '../support/jobs';
import { tempDir } from '../support/tmp';
import { Lab } from './lab';

describe('ISO bundles boot and install unattended', { timeout: 900_000 }, () => {
  let lab: Lab;
  const isos: Record<'grub' | 'isolinux', string> = {} as never;

  beforeAll(async () => {
    const s = await catalogStation(catalogInputs());
    const { batches, bundles } = bundleServices(s);
    for (const variant of ['grub', 'isolinux'] as const) {
      const source = inject('labIsos')[variant];
      const isoId = await importedId(s.jobs, (await s.artifacts.startImport({ path: source })).id, source);
      const m = s.models.create(
        HardwareModelSpecSchema.parse({
          name: `lab-box-${variant}`,
          os: { family: 'rocky', version: '9', baseIsoArtifactId: isoId },
          arch: 'x86_64',
          minCpuCores: 1,
          minMemoryMiB: 2048,
          minDiskGiB: 16,
          installDisk: '/dev/vda',
          nics: [{ name: 'eth0', role: 'wan', addressing: 'dhcp' }],
        }),
      );
      s.models.publish(m.id);
      const c = s.combos.create(
        s.combo({ name: `lab-line-${variant}`, modelId: m.id, apps: [{ appId: s.web, version: 1, overrides: { replicas: null, env: [] } }] }),
      );
      s.combos.publish(c.id);
      const batchId = batches.create(BatchCreateInputSchema.parse({ comboId: c.id, quantity: 10, serialPrefix: 'LAB-' })).id;
      const done = await jobEnded(s.jobs, (await bundles.startBuild({ batchId, tar: false, iso: true, zstd: false, outDir: tempDir() })).id);
      expect(done.error ?? null).toBeNull();
      isos[variant] = (done.result as { outputs: { file: string }[] }).outputs[0]!.file;
    }
    s.store.close();
    lab = await Lab.create(inject('labImage'));
  }, 300_000);

  afterAll(async () => {
    await lab?.dispose();
  });

  async function installAndBoot(variant: 'grub' | 'isolinux', firmware: 'bios' | 'uefi') {
    const name = `${variant}-${firmware}-bundle`;
    const disk = path.join(lab.dir, `${name}.qcow2`);
    const run = await lab.bootIso({ iso: isos[variant], firmware, disk, diskGiB: 20, memoryMiB: 1024, name });
    await run.waitForExit(400_000);
    const lines = run
      .consoleText()
      .split(/\r?\n/)
      .filter((l) => l.startsWith('EDGEFORGE-INSTALL'));
    expect(lines.at(-1), `${name}: ${lines.join(' | ')}`).toBe('EDGEFORGE-INSTALL result=ok');
    const box = await lab.start({ name: `${name}-box`, disk, hostname: null, memoryMiB: 2048, cpus: 1 });
    // SSH, not the login prompt: the first-boot install writes its progress to the console after it.
    await box.waitSsh(300_000);
    // The first-boot unit runs install.sh; wait for the state it writes.
    const deadline = Date.now() + 240_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await box.ssh('cat /etc/edgeforge/state 2>/dev/null || true')).stdout.trim();
      if (state) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    const r = await box.ssh(
      'systemctl is-enabled edgeforge-firstboot.service || true; test -x /usr/local/bin/k3s && echo k3s-ok; ls /var/lib/rancher/k3s/server/manifests/; journalctl -u edgeforge-firstboot --no-pager | grep -c "EDGEFORGE-BUNDLE .*state=done" || true',
    );
    return { state, out: r.stdout, box };
  }

  it.each([
    ['grub', 'bios'],
    ['grub', 'uefi'],
    ['isolinux', 'bios'],
    ['isolinux', 'uefi'],
  ] as const)('the %s variant under %s installs the OS, then the bundle on first boot', async (variant, firmware) => {
    const { state, out, box } = await installAndBoot(variant, firmware);
    expect(state).toBe('installed-awaiting-activation');
    expect(out).toMatch(/^disabled$/m);
    expect(out).toContain('k3s-ok');
    expect(out).toContain('web-console.yaml');
    await box.powerOff();
  });
});
