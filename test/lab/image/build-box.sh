#!/usr/bin/env bash
# Builds the lab box image from Debian packages (needs root, debootstrap, qemu-img, e2fsprogs).
#
#   build-box.sh OUT_DIR
#
# OUT_DIR receives:
#   base.qcow2        the box's root file system (ext4, whole disk, label labroot)
#   vmlinuz, initrd   Debian's cloud kernel and its initramfs (direct kernel boot)
#   rootfs.tar.gz     the same root file system, for the lab installer ISO
#   lab_ed25519(.pub) the key root and tech accept
#   modules/          the kernel's modules tree (for the installer initrd)
#   manifest.json     versions and sizes
# The caller (test/lab/cache.ts) keys OUT_DIR by a hash of this folder's files.
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${LAB_DEBIAN_SUITE:-bookworm}
work=$(mktemp -d /tmp/edgeforge-lab-build.XXXXXX)
root=$work/rootfs
trap 'umount -R "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$out"

packages=(
  systemd systemd-sysv udev dbus openssh-server sudo openssl
  coreutils tar gzip zstd lrzsz iproute2 iputils-ping pciutils util-linux kmod procps
  dmidecode e2fsprogs linux-image-cloud-amd64 initramfs-tools
)
echo "lab: debootstrap $suite (minbase + ${#packages[@]} packages)"
t0=$(date +%s)
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -30 "$work/debootstrap.log"; exit 1; }
echo "lab: debootstrap took $(( $(date +%s) - t0 )) s"

# Files of our own: units and scripts that give each box its identity at boot.
cp -a "$here/rootfs-overlay/." "$root/"

ssh-keygen -q -t ed25519 -N '' -C edgeforge-lab -f "$work/lab_ed25519"
install -d -m 700 "$root/root/.ssh"
install -m 600 "$work/lab_ed25519.pub" "$root/root/.ssh/authorized_keys"

chroot "$root" /bin/bash -euo pipefail <<'CHROOT'
echo 'root:edgeforge' | chpasswd
useradd -m -s /bin/bash -G sudo tech
echo 'tech:tech-pass' | chpasswd
install -d -m 700 -o tech -g tech /home/tech/.ssh
install -m 600 -o tech -g tech /root/.ssh/authorized_keys /home/tech/.ssh/authorized_keys
printf 'Defaults !lecture\n' > /etc/sudoers.d/lab
echo 'labbox' > /etc/hostname
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > /etc/fstab
# Every clone gets its own host keys and machine-id at first boot.
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
systemctl enable systemd-networkd.service lab-identity.service lab-hostkeys.service >/dev/null 2>&1
systemctl set-default multi-user.target >/dev/null 2>&1
systemctl disable apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
systemctl mask e2scrub_reap.service >/dev/null 2>&1
systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
CHROOT

kver=$(ls "$root/lib/modules" | head -1)
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd"
rm -rf "$out/modules" && cp -a "$root/lib/modules/$kver" "$out/modules"
install -m 600 "$work/lab_ed25519" "$out/lab_ed25519"
install -m 644 "$work/lab_ed25519.pub" "$out/lab_ed25519.pub"

echo "lab: root file system $(du -sh "$root" | cut -f1)"
tar -C "$root" --numeric-owner -czf "$out/rootfs.tar.gz" .
truncate -s 2G "$work/base.raw"
mkfs.ext4 -q -L labroot -d "$root" "$work/base.raw"
qemu-img convert -f raw -O qcow2 "$work/base.raw" "$out/base.qcow2"

cat > "$out/manifest.json" <<JSON
{
  "suite": "$suite",
  "kernel": "$kver",
  "packages": $(printf '%s\n' "${packages[@]}" | sed 's/.*/"&"/' | paste -sd, | sed 's/^/[/;s/$/]/'),
  "rootfsTarGzBytes": $(stat -c %s "$out/rootfs.tar.gz"),
  "baseQcow2Bytes": $(stat -c %s "$out/base.qcow2")
}
JSON
echo "lab: box image ready in $out"
