/**
 * What EdgeForge needs to know of a base installer ISO before it can remaster
 * it: its volume, its El Torito boot entries (BIOS and UEFI), whether it is
 * hybrid, which boot configs it has (isolinux, GRUB on the ISO, and GRUB
 * inside the El Torito EFI image), and which unattended-install family it
 * belongs to. An ISO without El Torito or without any boot config is refused:
 * DESIGN.md §3b says not to warn and carry on.
 */
import fs from 'node:fs';
import { AppError } from '../api/errors';
import { FatImage } from './fat';
import { IsoFormatError, IsoReader, SECTOR, type BootEntry } from './reader';

export const IsoErrors = {
  NOT_AN_ISO: 'NOT_AN_ISO',
  ISO_TRUNCATED: 'ISO_TRUNCATED',
  NO_EL_TORITO: 'NO_EL_TORITO',
  BAD_BOOT_CATALOG: 'BAD_BOOT_CATALOG',
  NO_BOOT_CONFIG: 'NO_BOOT_CONFIG',
} as const;

export type InstallerFamily = 'rhel-kickstart' | 'ubuntu-autoinstall' | 'debian-preseed' | 'unknown';

export interface BootConfig {
  loader: 'isolinux' | 'grub';
  /** 'iso': a file on the ISO 9660 tree; 'efi-image': inside the El Torito EFI image (FAT). */
  location: 'iso' | 'efi-image';
  path: string;
  size: number;
  /** Kernel command lines found in it (the words after the kernel path). */
  kernelArgs: string[];
}

export interface IsoInspection {
  label: string;
  sizeBytes: number;
  joliet: boolean;
  rockRidge: boolean;
  hybrid: boolean;
  bootEntries: (BootEntry & { imageBytes: number })[];
  bios: boolean;
  uefi: boolean;
  bootConfigs: BootConfig[];
  family: InstallerFamily;
  arch: 'x86_64' | 'aarch64' | null;
  mediaCheckMd5: string | null;
}

const ISOLINUX_PATHS = ['isolinux/isolinux.cfg', 'isolinux.cfg', 'syslinux/syslinux.cfg', 'boot/isolinux/isolinux.cfg', 'syslinux.cfg'];
const GRUB_ISO_PATHS = ['boot/grub/grub.cfg', 'boot/grub2/grub.cfg', 'EFI/BOOT/grub.cfg', 'EFI/boot/grub.cfg', 'boot/grub/loopback.cfg'];
const GRUB_EFI_IMAGE_PATHS = [
  'EFI/BOOT/grub.cfg',
  'boot/grub/grub.cfg',
  'EFI/redhat/grub.cfg',
  'EFI/centos/grub.cfg',
  'EFI/ubuntu/grub.cfg',
  'EFI/debian/grub.cfg',
];

function kernelArgs(text: string, loader: 'isolinux' | 'grub'): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (loader === 'grub') {
      const m = /^(?:linux|linuxefi|linux16)\s+\S+\s*(.*)$/.exec(line);
      if (m) out.push(m[1]!.trim());
    } else {
      const m = /^append\s+(.*)$/i.exec(line);
      if (m) out.push(m[1]!.trim());
    }
  }
  return out;
}

function err(code: string, en: string, zh: string, file: string): AppError {
  return new AppError(code, { en, zh }, { file });
}

export function inspectIso(file: string): IsoInspection {
  let iso: IsoReader;
  try {
    iso = new IsoReader(file);
  } catch (e) {
    if (e instanceof IsoFormatError && e.reason === 'truncated') {
      throw err(IsoErrors.ISO_TRUNCATED, `${file} is cut short: ${e.message}. Copy the ISO again.`, `${file} 不完整：${e.message}。请重新复制该 ISO。`, file);
    }
    throw err(
      IsoErrors.NOT_AN_ISO,
      `${file} is not an ISO 9660 image (${(e as Error).message}).`,
      `${file} 不是 ISO 9660 镜像（${(e as Error).message}）。`,
      file,
    );
  }
  try {
    let entries: BootEntry[];
    try {
      entries = iso.bootEntries();
    } catch (e) {
      throw err(IsoErrors.BAD_BOOT_CATALOG, `${file}: ${(e as Error).message}.`, `${file}：El Torito 引导目录无效（${(e as Error).message}）。`, file);
    }
    if (entries.length === 0) {
      throw err(
        IsoErrors.NO_EL_TORITO,
        `${file} has no El Torito boot record: it cannot boot, so it cannot be an installer ISO.`,
        `${file} 没有 El Torito 引导记录：无法引导，因此不能作为安装 ISO。`,
        file,
      );
    }
    const configs: BootConfig[] = [];
    for (const p of ISOLINUX_PATHS) {
      const e = iso.find(p);
      if (e && !configs.some((c) => c.location === 'iso' && c.path.toLowerCase() === `/${p}`.toLowerCase())) {
        configs.push({
          loader: 'isolinux',
          location: 'iso',
          path: `/${p}`,
          size: e.size,
          kernelArgs: kernelArgs(iso.readFile(e).toString('utf8'), 'isolinux'),
        });
      }
    }
    for (const p of GRUB_ISO_PATHS) {
      const e = iso.find(p);
      if (e && !configs.some((c) => c.location === 'iso' && c.path.toLowerCase() === `/${p}`.toLowerCase())) {
        configs.push({ loader: 'grub', location: 'iso', path: `/${p}`, size: e.size, kernelArgs: kernelArgs(iso.readFile(e).toString('utf8'), 'grub') });
      }
    }
    const withBytes = entries.map((e) => ({ ...e, imageBytes: 0 }));
    let efiLoaders: string[] = [];
    for (const e of withBytes) {
      if (e.platform !== 'uefi') continue;
      const img = iso.bootImage(e);
      e.imageBytes = img.length;
      let fat: FatImage;
      try {
        fat = new FatImage(img);
      } catch {
        continue;
      }
      efiLoaders = efiLoaders.concat(['EFI/BOOT/BOOTX64.EFI', 'EFI/BOOT/BOOTAA64.EFI'].filter((p) => fat.read(p) !== null));
      for (const p of GRUB_EFI_IMAGE_PATHS) {
        const data = fat.read(p);
        if (data && !configs.some((c) => c.location === 'efi-image' && c.path.toLowerCase() === `/${p}`.toLowerCase())) {
          configs.push({ loader: 'grub', location: 'efi-image', path: `/${p}`, size: data.length, kernelArgs: kernelArgs(data.toString('utf8'), 'grub') });
        }
      }
    }
    if (configs.length === 0) {
      throw err(
        IsoErrors.NO_BOOT_CONFIG,
        `${file} boots, but none of its boot configs was found (isolinux.cfg, grub.cfg on the ISO or in its EFI image), so an unattended install cannot be set up.`,
        `${file} 可以引导，但找不到任何引导配置（isolinux.cfg、ISO 上或 EFI 镜像中的 grub.cfg），因此无法设置无人值守安装。`,
        file,
      );
    }
    const args = configs.flatMap((c) => c.kernelArgs).join(' ');
    const diskInfo = iso.find('.disk/info');
    const info = diskInfo ? iso.readFile(diskInfo).toString('utf8') : '';
    const has = (p: string) => iso.find(p) !== null;
    const hasDir = (p: string) => {
      try {
        iso.list(p);
        return true;
      } catch {
        return false;
      }
    };
    let family: InstallerFamily = 'unknown';
    if (has('.treeinfo') || /\binst\.(ks|stage2)=/.test(args) || /\bks=/.test(args)) family = 'rhel-kickstart';
    else if (hasDir('casper') || /ubuntu/i.test(info) || /\bautoinstall\b/.test(args)) family = 'ubuntu-autoinstall';
    else if (hasDir('install.amd') || hasDir('install.a64') || /debian/i.test(info) || /\bpreseed/.test(args)) family = 'debian-preseed';
    // The UEFI loader's name says the architecture (UEFI 2.x §3.5.1.1), on the ISO or in its EFI image.
    const loader = (name: string) => has(name) || efiLoaders.includes(name);
    const arch = loader('EFI/BOOT/BOOTX64.EFI') ? 'x86_64' : loader('EFI/BOOT/BOOTAA64.EFI') ? 'aarch64' : null;
    return {
      label: iso.volume.label,
      sizeBytes: fs.statSync(file).size,
      joliet: iso.volume.joliet,
      rockRidge: iso.volume.rockRidge,
      hybrid: iso.hybrid(),
      bootEntries: withBytes,
      bios: withBytes.some((e) => e.platform === 'bios' && e.bootable),
      uefi: withBytes.some((e) => e.platform === 'uefi' && e.bootable),
      bootConfigs: configs,
      family,
      arch,
      mediaCheckMd5: iso.volume.implantedMd5,
    };
  } finally {
    iso.close();
  }
}

/** True when the file carries an ISO 9660 volume descriptor at sector 16. */
export function looksLikeIso(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(5);
    return fs.readSync(fd, b, 0, 5, 16 * SECTOR + 1) === 5 && b.toString('latin1') === 'CD001';
  } finally {
    fs.closeSync(fd);
  }
}
