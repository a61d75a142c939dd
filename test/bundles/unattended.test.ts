/**
 * Unattended-install files and boot-menu edits for the families the lab has
 * no installer for (Ubuntu autoinstall, Debian preseed): checked for their
 * structure. Kickstart is tested end to end on lab boxes (test/lab).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { patchGrub, patchIsolinux, unattendedArgs } from '../../main/bundles/boot-config';
import { autoinstall, kickstart, preseed } from '../../main/bundles/unattended';

const input = { combo: 'line-a', batchId: 'bat_0123456789abcdef', installDisk: '/dev/sda', baseKickstart: null };

// Shapes of the vendors' own menus (abridged): Ubuntu's GRUB, Debian's isolinux.
const UBUNTU_GRUB = `set timeout=30
loadfont unicode
menuentry "Try or Install Ubuntu Server" {
\tset gfxpayload=keep
\tlinux\t/casper/vmlinuz  ---
\tinitrd\t/casper/initrd
}
menuentry "Ubuntu Server with the HWE kernel" {
\tlinux\t/casper/hwe-vmlinuz  ---
\tinitrd\t/casper/hwe-initrd
}`;
const DEBIAN_ISOLINUX = `default vesamenu.c32
label install
\tmenu label ^Install
\tmenu default
\tkernel /install.amd/vmlinuz
\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet
label expert
\tmenu label E^xpert install
\tkernel /install.amd/vmlinuz
\tappend priority=low vga=788 initrd=/install.amd/initrd.gz ---`;

describe('unattended files and boot menus for Ubuntu and Debian', () => {
  it('Ubuntu: user-data is cloud-config with autoinstall v1, the install disk, and late-commands that copy the bundle and enable the first-boot unit', () => {
    const text = autoinstall(input);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text) as { autoinstall: { version: number; storage: { layout: { match: { path: string } } }; 'late-commands': string[] } };
    expect(doc.autoinstall.version).toBe(1);
    expect(doc.autoinstall.storage.layout.match.path).toBe('/dev/sda');
    const late = doc.autoinstall['late-commands'];
    expect(late).toContain('cp -a /cdrom/edgeforge/bundle/. /target/opt/edgeforge/bundle/');
    expect(late.find((c) => c.includes('cat > /target/etc/systemd/system/edgeforge-firstboot.service'))).toContain(
      'ExecStart=/bin/sh /opt/edgeforge/bundle/install.sh install',
    );
  });

  it('Ubuntu: GRUB gets a default entry whose "ds=nocloud;s=…" is quoted, before the kernel\'s "---"', () => {
    const out = patchGrub(UBUNTU_GRUB, unattendedArgs('ubuntu-autoinstall', 'Ubuntu-Server 24.04'))!;
    expect(out).toMatch(/^set timeout=3$/m);
    expect(out).toMatch(/^set default="edgeforge"$/m);
    expect(out).toContain(`\tlinux /casper/vmlinuz autoinstall "ds=nocloud;s=/cdrom/edgeforge/" ---`);
    expect(out.indexOf('--id edgeforge')).toBeLessThan(out.indexOf('Try or Install Ubuntu Server'));
    // The vendor entries are kept, unchanged.
    expect(out).toContain('menuentry "Ubuntu Server with the HWE kernel" {\n\tlinux\t/casper/hwe-vmlinuz  ---');
  });

  it('Debian: preseed answers every question for an unattended install and copies the bundle in late_command', () => {
    const text = preseed(input);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^(d-i|tasksel) \S+ (string|boolean|select|multiselect|note)( .*)?$/);
    expect(text).toContain('d-i partman-auto/disk string /dev/sda');
    expect(text).toMatch(/^d-i preseed\/late_command string .*cp -a \/cdrom\/edgeforge\/bundle\/\. \/target\/opt\/edgeforge\/bundle\//m);
  });

  it('Debian: isolinux gets a default entry with the preseed arguments, the other "menu default" dropped', () => {
    const out = patchIsolinux(DEBIAN_ISOLINUX, unattendedArgs('debian-preseed', 'Debian 12'))!;
    expect(out).toMatch(/^default edgeforge\ntimeout 30\nlabel edgeforge\n/m);
    expect(out).toContain('  append vga=788 initrd=/install.amd/initrd.gz auto=true priority=critical preseed/file=/cdrom/edgeforge/preseed.cfg --- quiet');
    expect(out.match(/menu default/g)!.length).toBe(1);
    expect(out).not.toMatch(/^default vesamenu\.c32$/m);
  });

  it('RHEL: a kickstart without a base one installs the OS on the model disk, then adds the bundle sections', () => {
    const ks = kickstart({ ...input, installDisk: '/dev/nvme0n1' });
    expect(ks).toContain('clearpart --all --initlabel --drives=nvme0n1');
    expect(ks).toContain('rootpw --lock');
    expect(ks.match(/^%post/gm)!.length).toBe(2);
    expect(ks.match(/^%end$/gm)!.length).toBe(3); // %packages and both %post sections
    expect(unattendedArgs('rhel-kickstart', 'RHEL-9 x86_64')).toEqual(['inst.ks=hd:LABEL=RHEL-9\\x20x86_64:/edgeforge/ks.cfg']);
  });

  it('leaves a GRUB stub without menu entries alone, and finds no entry in a menu without a kernel', () => {
    expect(patchGrub('search --file --set=root /.disk/id\nconfigfile $prefix/grub.cfg\n', ['x'])).toBeNull();
    expect(patchIsolinux('default local\nlabel local\n  localboot 0\n', ['x'])).toBeNull();
  });
});
