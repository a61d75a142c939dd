#!/usr/bin/env bash
# Builds the lab's base installer ISOs from the box image (needs xorriso,
# grub-mkrescue with grub-pc-bin + grub-efi-amd64-bin, mtools, dosfstools,
# isolinux, busybox-static, kmod, cpio).
#
#   build-iso.sh BOX_DIR OUT_DIR
#
# OUT_DIR receives:
#   installer.img       the installer initrd: busybox, mke2fs, CD and disk modules, ./init
#   base-grub.iso       grub-mkrescue: GRUB for BIOS and UEFI, hybrid
#   base-isolinux.iso   isolinux for BIOS + GRUB in an El Torito EFI image (FAT) for UEFI, hybrid
# Both ISOs hold /ks.cfg, /lab/vmlinuz, /lab/installer.img and /lab/rootfs.tar.gz,
# with volume label EFLAB_INSTALL. The installer's contract is in test/lab/README.md.
set -euo pipefail
box=$(realpath "$1")
out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/edgeforge-lab-iso.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
label=EFLAB_INSTALL
kver=$(sed -n 's/.*"kernel": "\([^"]*\)".*/\1/p' "$box/manifest.json")

echo "lab: installer initrd (kernel $kver)"
ird=$work/initrd
mkdir -p "$ird"/{bin,sbin,etc,lib,lib64,proc,sys,dev,run,tmp,mnt}
cp /bin/busybox "$ird/bin/busybox"
install -m 755 "$here/installer/init" "$ird/init"
# mke2fs from this (Debian) build machine, with the libraries it needs.
cp /sbin/mke2fs "$ird/sbin/mke2fs"
cp /etc/mke2fs.conf "$ird/etc/mke2fs.conf"
for lib in $(ldd /sbin/mke2fs | grep -o '/[^ ]*'); do
  mkdir -p "$ird$(dirname "$lib")"
  cp -L "$lib" "$ird$lib"
done
# CD-ROM (IDE), ISO 9660 and virtio disk drivers, in dependency order.
mkdir -p "$work/modroot/lib/modules"
ln -s "$box/modules" "$work/modroot/lib/modules/$kver"
: > "$ird/modules.load"
for m in ata_piix sr_mod isofs virtio_pci virtio_blk; do
  modprobe -d "$work/modroot" -S "$kver" --show-depends "$m" | awk '$1=="insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  rel=${ko#"$work/modroot"}
  mkdir -p "$ird$(dirname "$rel")"
  cp "$ko" "$ird$rel"
  echo "$rel" >> "$ird/modules.load"
done
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -6 > "$out/installer.img")

payload() { # DIR: the files both ISOs carry
  mkdir -p "$1/lab"
  cp "$box/vmlinuz" "$1/lab/vmlinuz"
  cp "$out/installer.img" "$1/lab/installer.img"
  cp "$box/rootfs.tar.gz" "$1/lab/rootfs.tar.gz"
  cp "$here/installer/ks.cfg" "$1/ks.cfg"
}

echo "lab: base-grub.iso (grub-mkrescue)"
g=$work/grub
payload "$g"
mkdir -p "$g/boot/grub"
cp "$here/installer/grub.cfg" "$g/boot/grub/grub.cfg"
grub-mkrescue -o "$out/base-grub.iso" "$g" -- -volid "$label" >"$work/mkrescue.log" 2>&1 || { cat "$work/mkrescue.log"; exit 1; }

echo "lab: base-isolinux.iso (isolinux + GRUB EFI image)"
s=$work/isolinux
payload "$s"
mkdir -p "$s/isolinux" "$s/EFI/BOOT" "$s/images"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$s/isolinux/"
cp "$here/installer/isolinux.cfg" "$s/isolinux/isolinux.cfg"
cp "$here/installer/grub.cfg" "$s/EFI/BOOT/grub.cfg"
cat > "$work/early.cfg" <<'CFG'
if [ -f "$cmdpath/grub.cfg" ]; then configfile "$cmdpath/grub.cfg"; fi
search --no-floppy --file --set=root /EFI/BOOT/grub.cfg
configfile /EFI/BOOT/grub.cfg
CFG
grub-mkimage -O x86_64-efi -o "$work/BOOTX64.EFI" -p /EFI/BOOT -c "$work/early.cfg" \
  part_gpt part_msdos fat iso9660 normal linux search search_fs_file configfile echo serial terminal test ls gzio efi_gop all_video
# The El Torito EFI image: a FAT file system with the loader and its own copy of grub.cfg.
mkfs.vfat -C -n EFIBOOT "$s/images/efiboot.img" 4096 >/dev/null
mmd -i "$s/images/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$s/images/efiboot.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$s/images/efiboot.img" "$here/installer/grub.cfg" ::/EFI/BOOT/grub.cfg
cp "$work/BOOTX64.EFI" "$s/EFI/BOOT/BOOTX64.EFI"
xorriso -as mkisofs -iso-level 3 -V "$label" -J -joliet-long -R \
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  -eltorito-alt-boot -e images/efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
  -o "$out/base-isolinux.iso" "$s" >"$work/xorriso.log" 2>&1 || { cat "$work/xorriso.log"; exit 1; }

ls -la "$out"
echo "lab: installer ISOs ready in $out"
