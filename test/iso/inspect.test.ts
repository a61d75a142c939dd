import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FatImage, inspectIso, IsoErrors, IsoReader } from '../../main/iso';
import { ensureBoxImage, ensureInstallerIsos, type LabIsos } from '../lab/cache';
import { tempDir } from '../support/tmp';

let isos: LabIsos;
beforeAll(() => {
  isos = ensureInstallerIsos(ensureBoxImage());
}, 600_000);

/** xorriso's own reading of the El Torito catalog: [platform, lba] per image. */
function xorrisoBootImages(iso: string): [string, number][] {
  const r = spawnSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/El Torito boot img\s*:\s*\d+\s+(BIOS|UEFI)\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\d+)/g)].map((m) => [
    m[1]!.toLowerCase(),
    Number(m[2]),
  ]);
}

function refusal(fn: () => unknown): { code: string; text: { en: string; zh: string } } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; text: { en: string; zh: string } };
  }
  throw new Error('expected a refusal');
}

describe('ISO 9660 / El Torito reader on the lab installer ISOs', () => {
  it('reads the grub-mkrescue ISO: label, Rock Ridge, hybrid, BIOS + UEFI entries as xorriso reports them', () => {
    const r = inspectIso(isos.grub);
    expect(r).toMatchObject({
      label: 'EFLAB_INSTALL',
      rockRidge: true,
      joliet: false,
      hybrid: true,
      bios: true,
      uefi: true,
      family: 'rhel-kickstart',
      arch: 'x86_64',
    });
    expect(r.bootEntries.map((e) => [e.platform, e.lba])).toEqual(xorrisoBootImages(isos.grub));
    expect(r.bootConfigs.map((c) => [c.loader, c.location, c.path])).toEqual([['grub', 'iso', '/boot/grub/grub.cfg']]);
    expect(r.bootConfigs[0]!.kernelArgs[0]).toContain('inst.ks=cdrom:/ks.cfg');
  });

  it('reads the isolinux variant: Joliet too, and the grub.cfg inside the El Torito EFI image', () => {
    const r = inspectIso(isos.isolinux);
    expect(r).toMatchObject({
      label: 'EFLAB_INSTALL',
      rockRidge: true,
      joliet: true,
      hybrid: true,
      bios: true,
      uefi: true,
      family: 'rhel-kickstart',
      arch: 'x86_64',
    });
    expect(r.bootEntries.map((e) => [e.platform, e.lba])).toEqual(xorrisoBootImages(isos.isolinux));
    expect(r.bootConfigs.map((c) => [c.loader, c.location, c.path])).toEqual([
      ['isolinux', 'iso', '/isolinux/isolinux.cfg'],
      ['grub', 'iso', '/EFI/BOOT/grub.cfg'],
      ['grub', 'efi-image', '/EFI/BOOT/grub.cfg'],
    ]);
  });

  it('reads files the way mtools and xorriso do: the EFI image and the grub.cfg inside it', () => {
    const dir = tempDir();
    const img = path.join(dir, 'efiboot.img');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', isos.isolinux, '-extract', '/images/efiboot.img', img], { stdio: 'ignore' });
    const iso = new IsoReader(isos.isolinux);
    try {
      const entry = iso.find('images/efiboot.img')!;
      expect(iso.readFile(entry).equals(fs.readFileSync(img))).toBe(true);
      const uefi = iso.bootEntries().find((e) => e.platform === 'uefi')!;
      expect(iso.bootImage(uefi).equals(fs.readFileSync(img))).toBe(true);
    } finally {
      iso.close();
    }
    const viaMtools = execFileSync('mtype', ['-i', img, '::/EFI/BOOT/grub.cfg']);
    const fat = new FatImage(fs.readFileSync(img));
    expect(fat.read('EFI/BOOT/grub.cfg')!.equals(viaMtools)).toBe(true);
    // Case-insensitive, as UEFI firmware reads FAT.
    expect(fat.read('efi/boot/bootx64.efi')!.equals(execFileSync('mtype', ['-i', img, '::/EFI/BOOT/BOOTX64.EFI'], { maxBuffer: 1 << 26 }))).toBe(true);
    expect(fat.read('EFI/BOOT/missing.cfg')).toBeNull();
  });

  it('keeps Rock Ridge long names, modes and symlinks, and Joliet names, as xorriso wrote them', () => {
    const dir = tempDir();
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(path.join(tree, 'Deep Folder'), { recursive: true });
    const long = 'a-Very-Long-File-Name-that-ISO9660-level-1-cannot-hold.conf';
    fs.writeFileSync(path.join(tree, 'Deep Folder', long), 'content\n');
    fs.chmodSync(path.join(tree, 'Deep Folder', long), 0o640);
    fs.symlinkSync(`Deep Folder/${long}`, path.join(tree, 'link'));
    const rr = path.join(dir, 'rr.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'RRTEST', '-o', rr, tree], { stdio: 'ignore' });
    const iso = new IsoReader(rr);
    try {
      expect(iso.volume).toMatchObject({ label: 'RRTEST', rockRidge: true, joliet: true });
      const [entry] = iso.list('Deep Folder');
      expect(entry!.name).toBe(long);
      expect(entry!.mode! & 0o777).toBe(0o640);
      expect(iso.readFile(entry!).toString()).toBe('content\n');
      expect(iso.list('').find((e) => e.name === 'link')!.symlink).toBe(`Deep Folder/${long}`);
    } finally {
      iso.close();
    }
    // Joliet alone (no Rock Ridge): names come from the Joliet tree.
    const jo = path.join(dir, 'joliet.iso');
    execFileSync('xorriso', ['-outdev', jo, '-rockridge', 'off', '-joliet', 'on', '-volid', 'JOLIET', '-map', tree, '/'], { stdio: 'ignore' });
    const j = new IsoReader(jo);
    try {
      expect(j.volume.rockRidge).toBe(false);
      expect(j.list('Deep Folder')[0]!.name).toBe(long);
    } finally {
      j.close();
    }
  });

  it('refuses an ISO without El Torito, one without boot configs, a truncated one and a non-ISO, each with its own code', () => {
    const dir = tempDir();
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'readme.txt'), 'data only\n');
    const plain = path.join(dir, 'data.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-o', plain, tree], { stdio: 'ignore' });
    const a = refusal(() => inspectIso(plain));
    expect(a.code).toBe(IsoErrors.NO_EL_TORITO);
    expect(a.text.zh).toContain('El Torito');

    fs.writeFileSync(path.join(tree, 'boot.img'), Buffer.alloc(2048));
    const noCfg = path.join(dir, 'nocfg.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-b', 'boot.img', '-no-emul-boot', '-o', noCfg, tree], { stdio: 'ignore' });
    expect(refusal(() => inspectIso(noCfg)).code).toBe(IsoErrors.NO_BOOT_CONFIG);

    const cut = path.join(dir, 'cut.iso');
    const fd = fs.openSync(isos.grub, 'r');
    const head = Buffer.alloc(4 * 1024 * 1024);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(cut, head);
    const c = refusal(() => inspectIso(cut));
    expect(c.code).toBe(IsoErrors.ISO_TRUNCATED);
    expect(c.text.en).toMatch(/cut short/);

    const junk = path.join(dir, 'junk.iso');
    fs.writeFileSync(junk, Buffer.alloc(64 * 1024, 7));
    expect(refusal(() => inspectIso(junk)).code).toBe(IsoErrors.NOT_AN_ISO);
  });
});
