/**
 * The box lab: simulated appliances under QEMU (TCG) for integration tests.
 *
 * Each box boots Debian's cloud kernel directly (-kernel/-initrd) from a
 * copy-on-write qcow2 overlay of the cached image, and has:
 *   - NIC0: user-mode network with restrict=on (no route anywhere) and SSH
 *     forwarded to a free port on 127.0.0.1;
 *   - NIC1: a shared L2 segment among the lab's boxes (QEMU socket netdev,
 *     multicast bound to 127.0.0.1), with a static address;
 *   - ttyS0 (getty, login prompt) and ttyS1 (a field-device line) as host ptys,
 *     both also logged to files;
 *   - settable, stable DMI UUID and serial, MACs and hostname.
 * Boxes and ISO boots are QEMU child processes tracked here; dispose() and a
 * process-exit hook kill every one of them, so no test leaves QEMU behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabImage } from './cache';
import { Qmp } from './qmp';
import { sshExec, type ExecResult } from './ssh';

const QEMU = 'qemu-system-x86_64';
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
/** The accelerator stand-in: QEMU's educational PCI device, 1234:11e8. */
export const EDU_PCI_ID = '1234:11e8';
export const ROOT_PASSWORD = 'edgeforge';
export const TECH_USER = { username: 'tech', password: 'tech-pass' };
export const SEGMENT_PREFIX = '10.77.0.';

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A stable UUID for a name, so a box's fingerprint is the same every run. */
export function uuidFor(name: string): string {
  const h = createHash('sha256').update(`edgeforge-lab:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface BoxOptions {
  name: string;
  /** Defaults to the name; null keeps the disk's own /etc/hostname. */
  hostname?: string | null;
  memoryMiB?: number;
  cpus?: number;
  /** Grow the overlay to this size (the root file system stays 2 GiB). */
  diskGiB?: number;
  /** NICs beyond NIC0 and NIC1, each on the shared segment too. */
  extraNics?: number;
  /** Add QEMU's edu PCI device as a stand-in accelerator (1234:11e8). */
  accelerator?: boolean;
  uuid?: string;
  serial?: string;
  macs?: string[];
  /** Boot this disk instead of a fresh overlay (e.g. one an ISO installed). */
  disk?: string;
  /**
   * Guest connections to GUEST_FORWARD_ADDR:guestPort reach 127.0.0.1:hostPort
   * on the host (QEMU guestfwd; restrict=on leaves explicit forwards alone):
   * how a box reaches a stand-in service the test runs. Each connection gets
   * its own `socat` (guestfwd's cmd: form): the chardev form connects once,
   * at boot, and serves one guest connection only.
   */
  guestForwards?: { guestPort: number; hostPort: number }[];
}

/** The address on NIC0's user-mode network where guestForwards listen. */
export const GUEST_FORWARD_ADDR = '10.0.2.100';

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(250);
  }
}

/** The arguments every lab QEMU shares: a named, headless PC under TCG. */
function machineArgs(name: string, memoryMiB: number): string[] {
  return [
    '-name',
    `edgeforge-lab-${name},process=edgeforge-lab-${name}`,
    '-machine',
    'pc',
    '-accel',
    'tcg',
    '-m',
    String(memoryMiB),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-vga',
    'none',
  ];
}

/** Starts a QEMU that the exit hook and dispose() will kill if it is still running. Its stderr is collected. */
function spawnQemu(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  live.add(child);
  child.on('exit', () => live.delete(child));
  return { child, stderr: () => err };
}

/** Resolves true when the process exits within timeoutMs, false otherwise; leaves no timer behind. */
async function exitWithin(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return true;
  const ac = new AbortController();
  const result = await Promise.race([once(p, 'exit', { signal: ac.signal }).then(() => true), sleep(timeoutMs, false, { signal: ac.signal })]);
  ac.abort();
  return result;
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export class Box {
  process: ChildProcess | null = null;
  qmp: Qmp | null = null;
  sshPort = 0;
  /** Host pty paths of ttyS0 (console) and ttyS1 (field line). */
  serialPaths: [string, string] = ['', ''];
  bootedAt = 0;
  readonly consoleLog: string;
  readonly fieldLog: string;
  readonly uuid: string;
  readonly serial: string;
  readonly macs: string[];
  readonly hostname: string | null;
  readonly sharedAddress: string;

  constructor(
    private readonly lab: Lab,
    readonly index: number,
    readonly options: BoxOptions,
    readonly disk: string,
    readonly dir: string,
  ) {
    this.consoleLog = path.join(dir, 'ttyS0.log');
    this.fieldLog = path.join(dir, 'ttyS1.log');
    this.uuid = options.uuid ?? uuidFor(options.name);
    this.serial = options.serial ?? `LAB-${options.name.toUpperCase()}`;
    const nics = 2 + (options.extraNics ?? 0);
    this.macs = options.macs ?? Array.from({ length: nics }, (_, n) => `52:54:00:77:${index.toString(16).padStart(2, '0')}:${n.toString(16).padStart(2, '0')}`);
    this.hostname = options.hostname === undefined ? options.name : options.hostname;
    this.sharedAddress = `${SEGMENT_PREFIX}${10 + index}`;
  }

  get running(): boolean {
    return !!this.process && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Boots the box from its disk (again, after a power-off or a kill). */
  async boot(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    const img = this.lab.image;
    // Kept across reboots, so a station's target for this box stays right.
    if (!this.sshPort) this.sshPort = await freePort();
    const qmpSock = path.join(this.dir, 'qmp.sock');
    fs.rmSync(qmpSock, { force: true });
    const nics = this.macs.length;
    const append = [
      'root=/dev/vda',
      'rw',
      'console=ttyS0,115200',
      'net.ifnames=0',
      'quiet',
      ...(this.hostname ? [`systemd.hostname=${this.hostname}`] : []),
      ...Array.from(
        { length: nics - 1 },
        (_, i) => `lab.net${i + 1}=${i === 0 ? this.sharedAddress : `${SEGMENT_PREFIX.replace(/0\.$/, `${i}.`)}${10 + this.index}`}/24`,
      ),
    ].join(' ');
    const args = [
      ...machineArgs(this.options.name, this.options.memoryMiB ?? 512),
      '-smp',
      String(this.options.cpus ?? 1),
      '-smbios',
      `type=1,manufacturer=EdgeForge Lab,product=LabBox,uuid=${this.uuid},serial=${this.serial}`,
      '-smbios',
      `type=2,manufacturer=EdgeForge Lab,product=LabBoard,serial=${this.serial}-MB`,
      '-kernel',
      img.kernel,
      '-initrd',
      img.initrd,
      '-append',
      append,
      '-drive',
      `file=${this.disk},if=virtio,format=qcow2,cache=unsafe`,
      '-netdev',
      `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${this.sshPort}-:22${(this.options.guestForwards ?? []).map((f) => `,guestfwd=tcp:${GUEST_FORWARD_ADDR}:${f.guestPort}-cmd:socat - TCP:127.0.0.1:${f.hostPort}`).join('')}`,
      '-device',
      `virtio-net-pci,netdev=n0,mac=${this.macs[0]}`,
      ...this.macs
        .slice(1)
        .flatMap((mac, i) => [
          '-netdev',
          `socket,id=n${i + 1},mcast=230.0.77.${i + 1}:${this.lab.segmentPort},localaddr=127.0.0.1`,
          '-device',
          `virtio-net-pci,netdev=n${i + 1},mac=${mac}`,
        ]),
      '-chardev',
      `pty,id=s0,logfile=${this.consoleLog},logappend=on`,
      '-serial',
      'chardev:s0',
      '-chardev',
      `pty,id=s1,logfile=${this.fieldLog},logappend=on`,
      '-serial',
      'chardev:s1',
      '-qmp',
      `unix:${qmpSock},server=on,wait=off`,
      ...(this.options.accelerator ? ['-device', 'edu'] : []),
    ];
    const { child, stderr } = spawnQemu(args);
    this.process = child;
    this.bootedAt = Date.now();
    try {
      this.qmp = await Qmp.connect(qmpSock);
    } catch (e) {
      throw new Error(`QEMU for ${this.options.name} did not start: ${stderr() || (e as Error).message}`);
    }
    const chardevs = await this.qmp.execute<{ label: string; filename: string }[]>('query-chardev');
    const pty = (label: string) => chardevs.find((c) => c.label === label)?.filename.replace(/^pty:/, '') ?? '';
    this.serialPaths = [pty('s0'), pty('s1')];
  }

  consoleText(): string {
    return readIfExists(this.consoleLog);
  }

  ssh(command: string, as: { username?: string; password?: string; key?: boolean } = {}, timeoutMs = 30_000): Promise<ExecResult> {
    const username = as.username ?? 'root';
    return sshExec(
      {
        port: this.sshPort,
        username,
        ...(as.password !== undefined ? { password: as.password } : {}),
        ...(as.key !== false && as.password === undefined ? { privateKey: fs.readFileSync(this.lab.image.key) } : {}),
      },
      command,
      timeoutMs,
    );
  }

  /** Ready: SSH answers, and the serial console showed a login prompt. Returns ms since boot. */
  async waitReady(timeoutMs = 120_000): Promise<number> {
    const start = this.bootedAt;
    await waitFor(`${this.options.name}: login prompt on ttyS0`, timeoutMs, () => (/login: ?$/m.test(this.consoleText()) ? true : undefined));
    await waitFor(`${this.options.name}: SSH`, Math.max(5_000, timeoutMs - (Date.now() - start)), async () => {
      if (!this.running) throw new Error(`QEMU exited with ${this.process?.exitCode}`);
      const r = await this.ssh('true', {}, 10_000);
      return r.code === 0 ? true : undefined;
    });
    return Date.now() - start;
  }

  /**
   * Up: SSH answers. For boxes whose boot services write to the serial console
   * (the bundle's first-boot install), which may follow the login prompt on
   * its line. Returns ms since boot.
   */
  async waitSsh(timeoutMs = 120_000): Promise<number> {
    const start = this.bootedAt;
    await waitFor(`${this.options.name}: SSH`, timeoutMs, async () => {
      if (!this.running) throw new Error(`QEMU exited with ${this.process?.exitCode}`);
      const r = await this.ssh('true', {}, 10_000).catch(() => null);
      return r?.code === 0 ? true : undefined;
    });
    return Date.now() - start;
  }

  private exited(timeoutMs: number): Promise<boolean> {
    return this.process ? exitWithin(this.process, timeoutMs) : Promise.resolve(true);
  }

  /** Clean power-off: ACPI power button, then wait for the guest to halt. */
  async powerOff(timeoutMs = 60_000): Promise<void> {
    if (!this.running) return;
    await this.qmp?.execute('system_powerdown').catch(() => undefined);
    if (!(await this.exited(timeoutMs))) {
      this.kill();
      throw new Error(`${this.options.name} did not power off within ${timeoutMs} ms; it was killed`);
    }
    this.qmp?.close();
  }

  /** Power loss: the QEMU process is killed outright. */
  kill(): void {
    this.qmp?.close();
    if (this.running) this.process!.kill('SIGKILL');
  }

  async waitGone(timeoutMs = 10_000): Promise<void> {
    if (!(await this.exited(timeoutMs))) throw new Error(`${this.options.name} is still running`);
  }
}

export interface IsoBootOptions {
  iso: string;
  firmware: 'bios' | 'uefi';
  /** The disk to install onto; created empty if missing. */
  disk: string;
  diskGiB?: number;
  memoryMiB?: number;
  name?: string;
}

export class IsoBoot {
  constructor(
    readonly process: ChildProcess,
    readonly consoleLog: string,
    readonly startedAt: number,
  ) {}

  consoleText(): string {
    return readIfExists(this.consoleLog);
  }

  /** Waits for QEMU to exit (the installer powers off); returns ms since start. */
  async waitForExit(timeoutMs: number): Promise<number> {
    if (!(await exitWithin(this.process, timeoutMs))) {
      this.process.kill('SIGKILL');
      throw new Error(`the ISO boot did not finish within ${timeoutMs} ms; console tail:\n${this.consoleText().slice(-2000)}`);
    }
    return Date.now() - this.startedAt;
  }
}

export class Lab {
  readonly dir: string;
  readonly segmentPort: number;
  private readonly boxes: Box[] = [];
  private nextIndex = 1;
  private readonly isoBoots: IsoBoot[] = [];

  private constructor(
    readonly image: LabImage,
    segmentPort: number,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-lab-run-'));
    tempDirs.add(this.dir);
    this.segmentPort = segmentPort;
  }

  static async create(image: LabImage): Promise<Lab> {
    return new Lab(image, await freePort());
  }

  async newDisk(name: string, sizeGiB?: number, backing: string | null = this.image.baseQcow2): Promise<string> {
    const disk = path.join(this.dir, `${name}.qcow2`);
    const args = ['create', '-q', '-f', 'qcow2'];
    if (backing) args.push('-b', backing, '-F', 'qcow2');
    args.push(disk);
    if (sizeGiB) args.push(`${sizeGiB}G`);
    await run('qemu-img', args);
    return disk;
  }

  /** Starts a box (does not wait for it to be ready). */
  async start(options: BoxOptions): Promise<Box> {
    const index = this.nextIndex++;
    const dir = path.join(this.dir, options.name);
    fs.mkdirSync(dir, { recursive: true });
    const disk = options.disk ?? (await this.newDisk(options.name, options.diskGiB));
    const box = new Box(this, index, options, disk, dir);
    this.boxes.push(box);
    await box.boot();
    return box;
  }

  /** Boots an installer ISO from a CD-ROM under SeaBIOS or OVMF, console to a file. */
  async bootIso(options: IsoBootOptions): Promise<IsoBoot> {
    const name = options.name ?? `iso-${options.firmware}`;
    const dir = path.join(this.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(options.disk)) await run('qemu-img', ['create', '-q', '-f', 'qcow2', options.disk, `${options.diskGiB ?? 4}G`]);
    const consoleLog = path.join(dir, 'console.log');
    const firmware: string[] = [];
    if (options.firmware === 'uefi') {
      const vars = path.join(dir, 'OVMF_VARS.fd');
      fs.copyFileSync(OVMF_VARS, vars);
      firmware.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${vars}`);
    }
    const args = [
      ...machineArgs(name, options.memoryMiB ?? 1024),
      '-no-reboot',
      ...firmware,
      '-drive',
      `file=${options.disk},if=virtio,format=qcow2,cache=unsafe`,
      '-drive',
      `file=${options.iso},media=cdrom,readonly=on,if=ide,index=1`,
      '-boot',
      'order=d',
      '-netdev',
      'user,id=n0,restrict=on',
      '-device',
      'virtio-net-pci,netdev=n0',
      '-chardev',
      `file,id=s0,path=${consoleLog}`,
      '-serial',
      'chardev:s0',
    ];
    const { child } = spawnQemu(args);
    const boot = new IsoBoot(child, consoleLog, Date.now());
    this.isoBoots.push(boot);
    return boot;
  }

  /** Kills every QEMU this lab started and removes its files. */
  async dispose(): Promise<void> {
    for (const b of this.boxes) b.kill();
    for (const i of this.isoBoots) if (i.process.exitCode === null) i.process.kill('SIGKILL');
    await Promise.all([...this.boxes.map((b) => b.waitGone().catch(() => undefined))]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${err}`))));
    p.on('error', reject);
  });
}
