import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EDU_PCI_ID, Lab, ROOT_PASSWORD, TECH_USER, uuidFor, type Box } from './lab';
import { expectOn, openPort } from './serial';

function labQemuCount(): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', 'qemu-system-x86_64 -name edgeforge-lab-'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

const figures: Record<string, number> = {};
const writeFigures = () => {
  const file = path.join(import.meta.dirname, '..', '..', 'test-results', 'lab-figures.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...figures, buildSeconds: inject('labBuildSeconds') }, null, 2));
};

describe('lab boxes', { timeout: 240_000 }, () => {
  let lab: Lab;
  let box1: Box;
  let box2: Box;

  beforeAll(async () => {
    lab = await Lab.create(inject('labImage'));
    [box1, box2] = await Promise.all([
      lab.start({ name: 'box1', accelerator: true, extraNics: 1, memoryMiB: 512 }),
      lab.start({ name: 'box2', memoryMiB: 512 }),
    ]);
  }, 60_000);

  afterAll(async () => {
    const dir = lab?.dir;
    await lab?.dispose();
    writeFigures();
    expect(labQemuCount()).toBe(0);
    if (dir) expect(fs.existsSync(dir)).toBe(false);
  });

  it('boots two boxes to ready: SSH answers and the serial console shows a login prompt', async () => {
    const [t1, t2] = await Promise.all([box1.waitReady(180_000), box2.waitReady(180_000)]);
    figures.bootToReadyMsTwoInParallel = Math.max(t1, t2);
    expect(box1.serialPaths[0]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(box1.serialPaths[1]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(box1.consoleText()).toMatch(/box1 login:/);
  });

  it('lets root in by key and by password, and tech in by password with a sudo that asks for it', async () => {
    expect((await box1.ssh('id -u')).stdout.trim()).toBe('0');
    expect((await box1.ssh('id -u', { password: ROOT_PASSWORD })).stdout.trim()).toBe('0');
    await expect(box2.ssh('true', { password: 'wrong' })).rejects.toThrow(/authentication/i);
    const tech = { username: TECH_USER.username, password: TECH_USER.password };
    expect((await box2.ssh('id -un', tech)).stdout.trim()).toBe('tech');
    const noPassword = await box2.ssh('sudo -n true', tech);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toMatch(/password is required/);
    expect((await box2.ssh(`echo ${TECH_USER.password} | sudo -S -p '' id -u`, tech)).stdout.trim()).toBe('0');
  });

  it('has the configured identity: DMI UUID and serial, MACs, hostname', async () => {
    const r = await box1.ssh(
      'cat /sys/class/dmi/id/product_uuid /sys/class/dmi/id/product_serial /sys/class/net/eth0/address /sys/class/net/eth1/address; hostname',
    );
    expect(r.stdout.trim().split('\n')).toEqual([box1.uuid, box1.serial, box1.macs[0], box1.macs[1], 'box1']);
    // Stable: the same name gives the same UUID on every run.
    expect(box1.uuid).toBe(uuidFor('box1'));
  });

  it('shows its NICs and the accelerator stand-in (edu, 1234:11e8) in lspci', async () => {
    const r = await box1.ssh('ls /sys/class/net; lspci -n');
    expect(r.stdout).toMatch(/eth0\neth1\neth2/);
    expect(r.stdout).toContain(EDU_PCI_ID);
    expect((await box2.ssh('lspci -n')).stdout).not.toContain(EDU_PCI_ID);
  });

  it('reaches the other box across the shared segment', async () => {
    const r = await box1.ssh(`ping -c 3 -W 2 ${box2.sharedAddress}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 received/);
  });

  it('gives a login on the serial console through its pty, and runs a command there', async () => {
    const port = await openPort(box2.serialPaths[0]);
    try {
      port.write('\r');
      await expectOn(port, /login: ?$/m);
      port.write('root\r');
      await expectOn(port, /Password: ?$/m);
      port.write(`${ROOT_PASSWORD}\r`);
      await expectOn(port, /# ?$/m);
      port.write('echo LAB-$((6*7))\r');
      await expectOn(port, /LAB-42/);
      port.write('exit\r');
      await expectOn(port, /login: ?$/m);
    } finally {
      await new Promise<void>((r) => port.close(() => r()));
    }
  });

  it('carries the field-device line (ttyS1) to its host pty', async () => {
    const port = await openPort(box2.serialPaths[1]);
    try {
      const seen = expectOn(port, /FIELD-7/, 20_000);
      await box2.ssh('stty -F /dev/ttyS1 115200 raw -echo && printf "FIELD-7\\r\\n" > /dev/ttyS1');
      await seen;
    } finally {
      await new Promise<void>((r) => port.close(() => r()));
    }
  });

  it('loses power on a hard kill, then boots again from the same disk with its files intact', async () => {
    await box2.ssh('echo survived > /root/marker && sync');
    const pid = box2.process!.pid!;
    box2.kill();
    await box2.waitGone();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(box2.ssh('true', {}, 5_000)).rejects.toThrow();
    await box2.boot();
    figures.rebootAfterPowerLossMs = await box2.waitReady(180_000);
    expect((await box2.ssh('cat /root/marker')).stdout.trim()).toBe('survived');
  });

  it('powers off cleanly through ACPI', async () => {
    const t0 = Date.now();
    await box1.powerOff(90_000);
    figures.cleanPowerOffMs = Date.now() - t0;
    expect(box1.running).toBe(false);
    expect(box1.process!.exitCode).toBe(0);
  });
});

describe('lab installer ISOs', { timeout: 600_000 }, () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create(inject('labImage'));
  });
  afterAll(async () => {
    await lab?.dispose();
    writeFigures();
    expect(labQemuCount()).toBe(0);
  });

  async function install(variant: 'grub' | 'isolinux', firmware: 'bios' | 'uefi') {
    const disk = path.join(lab.dir, `${variant}-${firmware}.qcow2`);
    const run = await lab.bootIso({ iso: inject('labIsos')[variant], firmware, disk, name: `${variant}-${firmware}` });
    const ms = await run.waitForExit(400_000);
    const lines = run
      .consoleText()
      .split(/\r?\n/)
      .filter((l) => l.startsWith('EDGEFORGE-INSTALL'));
    return { disk, ms, lines };
  }

  it('installs from the grub-mkrescue ISO under SeaBIOS and under OVMF, and the installed boxes come up', async () => {
    const [bios, uefi] = await Promise.all([install('grub', 'bios'), install('grub', 'uefi')]);
    figures.installGrubIsoBiosMs = bios.ms;
    figures.installGrubIsoUefiMs = uefi.ms;
    for (const r of [bios, uefi]) {
      expect(r.lines.at(-1)).toBe('EDGEFORGE-INSTALL result=ok');
      expect(r.lines).toContain('EDGEFORGE-INSTALL step=done progress=100');
      const progress = r.lines.map((l) => Number(/progress=(\d+)/.exec(l)?.[1] ?? NaN)).filter((n) => !Number.isNaN(n));
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    }
    const boxes = await Promise.all([
      lab.start({ name: 'installed-bios', disk: bios.disk, hostname: null }),
      lab.start({ name: 'installed-uefi', disk: uefi.disk, hostname: null }),
    ]);
    const ready = await Promise.all(boxes.map((b) => b.waitReady(180_000)));
    figures.installedBoxReadyMs = Math.max(...ready);
    for (const b of boxes) {
      const r = await b.ssh('hostname; cat /etc/edgeforge-lab-installed', { password: ROOT_PASSWORD });
      expect(r.stdout).toMatch(/^installed-box\ninstalled by the lab installer on \d{4}-/);
    }
  });

  it('installs from the isolinux + GRUB-EFI-image ISO under SeaBIOS and under OVMF', async () => {
    const [bios, uefi] = await Promise.all([install('isolinux', 'bios'), install('isolinux', 'uefi')]);
    figures.installIsolinuxIsoBiosMs = bios.ms;
    figures.installIsolinuxIsoUefiMs = uefi.ms;
    expect(bios.lines.at(-1)).toBe('EDGEFORGE-INSTALL result=ok');
    expect(uefi.lines.at(-1)).toBe('EDGEFORGE-INSTALL result=ok');
  });

  it('builds hybrid ISOs with El Torito BIOS and UEFI entries that xorriso reads', () => {
    for (const iso of [inject('labIsos').grub, inject('labIsos').isolinux]) {
      // xorriso reports the volume on stderr and the boot records on stdout.
      const r = spawnSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const report = r.stdout + r.stderr;
      expect(report).toMatch(/El Torito boot img\s*:\s*1\s+BIOS/);
      expect(report).toMatch(/El Torito boot img\s*:\s*2\s+UEFI/);
      expect(report).toMatch(/Volume id\s*:\s*'EFLAB_INSTALL'/);
      // Hybrid: an MBR partition table at the start, as for a USB stick.
      const mbr = Buffer.alloc(512);
      const fd = fs.openSync(iso, 'r');
      fs.readSync(fd, mbr, 0, 512, 0);
      fs.closeSync(fd);
      expect(mbr.readUInt16LE(510)).toBe(0xaa55);
    }
  });
});
