/**
 * Unattended-install files for the ISO bundle. Each installs the OS, copies
 * the bundle from the install media (/edgeforge/bundle/) to /opt/edgeforge/bundle on the new
 * system, and enables edgeforge-firstboot.service, which runs the bundle's
 * install.sh once the installed system is up (systemd is not running during
 * an install, and the runtime and light apps need it). The service stays
 * enabled until install.sh succeeds, so a power loss just retries.
 *
 * Kickstart (RHEL family): Anaconda's kickstart reference (%post, %post
 * --nochroot, the media at /run/install/repo). If the base ISO carries its
 * own kickstart, it is kept and our sections are added to it.
 * Ubuntu: Subiquity autoinstall (cloud-init nocloud user-data, late-commands,
 * the media at /cdrom, the target at /target). Debian: debian-installer
 * preseed (preseed/late_command, /cdrom, /target).
 */

export interface UnattendedInput {
  combo: string;
  batchId: string;
  installDisk: string;
  /** The base ISO's own kickstart, when it has one. */
  baseKickstart: string | null;
}

const FIRSTBOOT_UNIT = `[Unit]
Description=EdgeForge: install the bundle on first boot
# Air-gapped: no need to wait for the network to be online, only for the NICs to exist.
After=network.target local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /opt/edgeforge/bundle/install.sh install
ExecStartPost=/bin/systemctl disable edgeforge-firstboot.service
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
`;

/** Shell that installs and enables the first-boot unit under `root` ("" inside a chroot). */
function enableFirstboot(root: string): string {
  return [
    `mkdir -p ${root}/etc/systemd/system/multi-user.target.wants`,
    `cat > ${root}/etc/systemd/system/edgeforge-firstboot.service <<'EDGEFORGE_UNIT'`,
    FIRSTBOOT_UNIT.trimEnd(),
    'EDGEFORGE_UNIT',
    `ln -sf /etc/systemd/system/edgeforge-firstboot.service ${root}/etc/systemd/system/multi-user.target.wants/edgeforge-firstboot.service`,
  ].join('\n');
}

export function kickstart(i: UnattendedInput): string {
  const disk = i.installDisk.replace(/^\/dev\//, '');
  const header = `# EdgeForge: unattended install of "${i.combo}" (batch ${i.batchId}).\n`;
  const base =
    i.baseKickstart ??
    [
      'text',
      'lang en_US.UTF-8',
      'keyboard us',
      'timezone Etc/UTC --utc',
      'rootpw --lock',
      'network --bootproto=dhcp --activate',
      `ignoredisk --only-use=${disk}`,
      'zerombr',
      `clearpart --all --initlabel --drives=${disk}`,
      'autopart',
      `bootloader --location=mbr --boot-drive=${disk}`,
      'firstboot --disabled',
      'reboot',
      '%packages',
      '@^minimal-environment',
      'openssl',
      'tar',
      '%end',
    ].join('\n');
  return `${header}${base.trimEnd()}\n
# EdgeForge: copy the bundle from the install media, then install it on first boot.
%post --nochroot
set -e
mkdir -p /mnt/sysimage/opt/edgeforge/bundle
cp -a /run/install/repo/edgeforge/bundle/. /mnt/sysimage/opt/edgeforge/bundle/
%end

%post
set -e
${enableFirstboot('')}
%end
`;
}

/** Subiquity autoinstall: user-data (cloud-init nocloud), with an empty meta-data beside it. */
export function autoinstall(i: UnattendedInput): string {
  const unit = FIRSTBOOT_UNIT.trimEnd().split('\n');
  return `#cloud-config
# EdgeForge: unattended install of "${i.combo}" (batch ${i.batchId}).
autoinstall:
  version: 1
  storage:
    layout:
      name: direct
      match:
        path: ${i.installDisk}
  ssh:
    install-server: true
  late-commands:
    - mkdir -p /target/opt/edgeforge/bundle
    - cp -a /cdrom/edgeforge/bundle/. /target/opt/edgeforge/bundle/
    - mkdir -p /target/etc/systemd/system/multi-user.target.wants
    - |
      cat > /target/etc/systemd/system/edgeforge-firstboot.service <<'EDGEFORGE_UNIT'
${unit.map((l) => `      ${l}`).join('\n')}
      EDGEFORGE_UNIT
    - ln -sf /etc/systemd/system/edgeforge-firstboot.service /target/etc/systemd/system/multi-user.target.wants/edgeforge-firstboot.service
`;
}

/** debian-installer preseed. */
export function preseed(i: UnattendedInput): string {
  const late = [
    'mkdir -p /target/opt/edgeforge/bundle',
    'cp -a /cdrom/edgeforge/bundle/. /target/opt/edgeforge/bundle/',
    'cp /cdrom/edgeforge/edgeforge-firstboot.service /target/etc/systemd/system/',
    'mkdir -p /target/etc/systemd/system/multi-user.target.wants',
    'ln -sf /etc/systemd/system/edgeforge-firstboot.service /target/etc/systemd/system/multi-user.target.wants/edgeforge-firstboot.service',
  ].join('; ');
  return `# EdgeForge: unattended install of "${i.combo}" (batch ${i.batchId}).
d-i debian-installer/locale string en_US.UTF-8
d-i keyboard-configuration/xkb-keymap select us
d-i netcfg/choose_interface select auto
d-i mirror/country string manual
d-i mirror/http/hostname string
d-i mirror/http/directory string
d-i apt-setup/use_mirror boolean false
d-i clock-setup/utc boolean true
d-i time/zone string Etc/UTC
d-i passwd/root-login boolean false
d-i passwd/make-user boolean false
d-i partman-auto/disk string ${i.installDisk}
d-i partman-auto/method string regular
d-i partman-auto/choose_recipe select atomic
d-i partman/confirm_write_new_label boolean true
d-i partman/choose_partition select finish
d-i partman/confirm boolean true
d-i partman/confirm_nooverwrite boolean true
tasksel tasksel/first multiselect standard, ssh-server
d-i grub-installer/only_debian boolean true
d-i grub-installer/bootdev string ${i.installDisk}
d-i finish-install/reboot_in_progress note
d-i preseed/late_command string ${late}
`;
}

/** The first-boot unit as a file (Debian's late_command copies it). */
export const firstbootUnit = FIRSTBOOT_UNIT;
