/**
 * ISO bundles from the lab's two base installer ISOs (grub-mkrescue; isolinux
 * + GRUB in an EFI image), read back with xorriso, isoinfo, mtools and fdisk.
 * Booting them is test/lab/iso-bundle.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchCreateInputSchema, HardwareModelSpecSchema } from '../../main/api/contract';
import { type BatchService, type BundleService } from '../../main/bundles';
import { cacheRoot, ensureBoxImage, ensureInstallerIsos } from '../lab/cache';
import { bundleServices, catalogInputs, catalogStation } from '../catalog/station';
import { importedId } from '../support/jobs';
import { jobEnded } from '../support/jobs';
import { tempDir } from '../support/tmp';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const xorriso = (iso: string, ...cmd: string[]) => execFileSync('xorriso', ['-indev', iso, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
function extract(iso: string, from: string): string {
  const to = path.join(tempDir(), path.basename(from));
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', from, to], { stdio: 'ignore' });
  return to;
}

describe('ISO bundle', () => {
  let s: Awaited<ReturnType<typeof catalogStation>>;
  let bundles: BundleService;
  let batches: BatchService;
  const built: Record<'grub' | 'isolinux', { iso: string; source: string; batchId: string }> = {} as never;

  beforeAll(async () => {
    expect(cacheRoot()).toBeTruthy();
    const isos = ensureInstallerIsos(ensureBoxImage());
    s = await catalogStation(catalogInputs());
    ({ batches, bundles } = bundleServices(s));
    for (const variant of ['grub', 'isolinux'] as const) {
      const isoId = await importedId(s.jobs, (await s.artifacts.startImport({ path: isos[variant] })).id, isos[variant]);
      const m = s.models.create(
        HardwareModelSpecSchema.parse({
          name: `iso-box-${variant}`,
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
        s.combo({ name: `iso-line-${variant}`, modelId: m.id, apps: [{ appId: s.web, version: 1, overrides: { replicas: null, env: [] } }] }),
      );
      s.combos.publish(c.id);
      const batchId = batches.create(BatchCreateInputSchema.parse({ comboId: c.id, quantity: 5, serialPrefix: 'ISO-' })).id;
      const job = await bundles.startBuild({ batchId, tar: false, iso: true, zstd: false, outDir: tempDir() });
      const done = await jobEnded(s.jobs, job.id);
      expect(done.error ?? null).toBeNull();
      built[variant] = { iso: (done.result as { outputs: { file: string }[] }).outputs[0]!.file, source: isos[variant], batchId };
    }
  }, 300_000);

  it.each(['grub', 'isolinux'] as const)('%s: keeps El Torito BIOS and UEFI entries where they were, and stays hybrid', (variant) => {
    const { iso, source } = built[variant];
    const report = (f: string) => xorriso(f, '-report_el_torito', 'plain', '-report_system_area', 'plain');
    const boot = (r: string) => r.split('\n').filter((l) => /^El Torito (boot img|img path)/.test(l));
    expect(boot(report(iso))).toEqual(boot(report(source)));
    const after = report(iso);
    expect(after).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y/);
    expect(after).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y/);
    const sectors = fs.statSync(iso).size / 512;
    // The GPT and the partition covering the whole image reach the new end; fdisk checks the GPT's CRCs.
    expect(after).toMatch(new RegExp(`GPT lba range\\s+:\\s+64\\s+\\d+\\s+${sectors - 1}`));
    const fdisk = execFileSync('fdisk', ['-l', iso], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(fdisk.toString()).not.toMatch(/corrupt|does not match|invalid/i);
  });

  it.each(['grub', 'isolinux'] as const)('%s: isoinfo reads Joliet and Rock Ridge, with the bundle under /edgeforge/bundle', (variant) => {
    const { iso } = built[variant];
    const d = execFileSync('isoinfo', ['-d', '-i', iso]).toString();
    expect(d).toContain('Joliet with UCS level 3 found');
    expect(d).toContain('Rock Ridge signatures version 1 found');
    const rr = execFileSync('isoinfo', ['-R', '-f', '-i', iso]).toString().split('\n');
    for (const f of [
      'install.sh',
      'manifest.json',
      'manifest.json.sig',
      'license.json',
      'bundle.env',
      'images/oci/index.json',
      'manifests/web-console.yaml',
      'runtime/k3s-airgap-images-amd64.tar',
    ]) {
      expect(rr).toContain(`/edgeforge/bundle/${f}`);
    }
    const joliet = execFileSync('isoinfo', ['-J', '-f', '-i', iso]).toString();
    expect(joliet).toContain('/edgeforge/bundle/manifest.json.sig');
    expect(xorriso(iso, '-find', '/edgeforge/bundle/install.sh', '-exec', 'lsdl')).toMatch(/-rwxr-xr-x .* '\/edgeforge\/bundle\/install.sh'/);
  });

  it.each(['grub', 'isolinux'] as const)('%s: every boot menu starts the unattended install by default, with the kickstart on the disc', (variant) => {
    const { iso, batchId } = built[variant];
    const label = 'inst.ks=hd:LABEL=EFLAB_INSTALL:/edgeforge/ks.cfg';
    const menus = variant === 'grub' ? ['/boot/grub/grub.cfg'] : ['/isolinux/isolinux.cfg', '/EFI/BOOT/grub.cfg'];
    for (const m of menus) {
      const text = fs.readFileSync(extract(iso, m), 'utf8');
      expect(text).toContain(label);
      expect(text).not.toMatch(/inst\.ks=cdrom:\/ks\.cfg.*\n[^\n]*EdgeForge/);
      if (m.endsWith('grub.cfg')) {
        expect(text).toMatch(/^set default="edgeforge"$/m);
        expect(text).toMatch(/^set timeout=3$/m);
        expect(text.indexOf("menuentry 'EdgeForge unattended install' --id edgeforge {")).toBeLessThan(text.indexOf("menuentry 'Install EdgeForge lab box"));
      } else expect(text).toMatch(/default edgeforge\ntimeout 30\nlabel edgeforge/);
    }
    // The GRUB inside the El Torito EFI image reads its own grub.cfg first: it is changed too.
    const efiPath = variant === 'grub' ? '/efi.img' : '/images/efiboot.img';
    const efi = extract(iso, efiPath);
    if (variant === 'isolinux') expect(execFileSync('mtype', ['-i', efi, '::/EFI/BOOT/grub.cfg']).toString()).toContain(label);
    // grub-mkrescue's EFI image carries no grub.cfg: its GRUB loads the ISO's /boot/grub/grub.cfg.
    else expect(execFileSync('mdir', ['-i', efi, '-b', '::/EFI/BOOT']).toString()).not.toMatch(/grub\.cfg/i);
    execFileSync('fsck.vfat', ['-n', efi], { stdio: 'ignore' });
    const ks = fs.readFileSync(extract(iso, '/edgeforge/ks.cfg'), 'utf8');
    expect(ks).toContain(`batch ${batchId}`);
    expect(ks).toContain('rootpw --plaintext edgeforge'); // the base ISO's own kickstart is kept
    expect(ks).toContain('cp -a /run/install/repo/edgeforge/bundle/. /mnt/sysimage/opt/edgeforge/bundle/');
  });

  it('is byte-for-byte the same when built again', async () => {
    const job = await bundles.startBuild({ batchId: built.grub.batchId, tar: false, iso: true, zstd: false, outDir: tempDir() });
    const done = await jobEnded(s.jobs, job.id);
    expect(sha256((done.result as { outputs: { file: string }[] }).outputs[0]!.file)).toBe(sha256(built.grub.iso));
  });

  it('keeps the RHEL media check valid: a base ISO with an implanted MD5 gives an ISO that checkisomd5 accepts', async () => {
    const base = path.join(tempDir(), 'base-with-md5.iso');
    fs.copyFileSync(built.grub.source, base);
    execFileSync('implantisomd5', ['--force', base], { stdio: 'ignore' });
    expect(spawnSync('checkisomd5', [base]).status).toBe(0);
    const isoId = await importedId(s.jobs, (await s.artifacts.startImport({ path: base })).id, base);
    const m = s.models.create(
      HardwareModelSpecSchema.parse({
        name: 'iso-box-md5',
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
    const c = s.combos.create(s.combo({ name: 'iso-line-md5', modelId: m.id, apps: [{ appId: s.web, version: 1, overrides: { replicas: null, env: [] } }] }));
    s.combos.publish(c.id);
    const batchId = batches.create(BatchCreateInputSchema.parse({ comboId: c.id, quantity: 1, serialPrefix: 'M' })).id;
    const job = await bundles.startBuild({ batchId, tar: false, iso: true, zstd: false, outDir: tempDir() });
    const done = await jobEnded(s.jobs, job.id);
    const out = (done.result as { outputs: { file: string; sha256: string }[] }).outputs[0]!;
    expect(spawnSync('checkisomd5', [out.file]).status).toBe(0);
    expect(sha256(out.file)).toBe(out.sha256);
    // And a flipped byte inside the volume fails it.
    const fd = fs.openSync(out.file, 'r+');
    fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, 40 * 2048 + 7);
    fs.closeSync(fd);
    expect(spawnSync('checkisomd5', [out.file]).status).not.toBe(0);
  }, 120_000);
});
