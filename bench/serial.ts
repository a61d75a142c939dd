/**
 * serial: ZMODEM over a serial line, EdgeForge's upload (the serial
 * transport: zmodem.js sending to the box's rz) against lrzsz's own `sz`
 * sending to the same rz, over the same link in the same run:
 *
 *   1. a line held to a baud rate: two socat ptys joined by a relay that
 *      lets each direction through at the UART's character rate (115200 8N1
 *      = 11520 bytes/s) and holds the sender back once a UART-sized buffer
 *      is full (the Cable of test/provision/serial/consoles.ts);
 *   2. a bare socat pty pair: no baud rate is enforced there, so this shows
 *      the software's own ceiling, not a line's;
 *   3. a QEMU lab box's ttyS0 (16550 emulation, TCG guest), when the lab
 *      image is cached; taken under the lab lock, as lab tests are.
 *
 * EdgeForge's figure is a whole upload(): staging, resume check, rz, and
 * the box's sha256sum read-back. The fixed part of that is measured with a
 * 1-byte upload on the same link and also shown taken off.
 *
 * BENCH_SERIAL_KB (default 512) sizes the paced and QEMU runs,
 * BENCH_SERIAL_PTY_MB (default 32) the bare pty run, BENCH_SERIAL_BAUD
 * (default 115200) the paced line; BENCH_SERIAL_QEMU=0 leaves the lab box out. Run: `node --import tsx bench/serial.ts`
 * (or `npm run bench serial` once registered in run.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lineCharsPerSecond, openSerialShell, type SerialShell } from '../main/provision/serial';
import { Cable, ptyConsole } from '../test/provision/serial/consoles';
import { boxImageHash, cacheRoot, ensureBoxImage } from '../test/lab/cache';
import { Lab, ROOT_PASSWORD } from '../test/lab/lab';

const LAB_LOCK = '/tmp/edgeforge-lab.lock';
const self = fileURLToPath(import.meta.url);

interface Link {
  name: string;
  path: string;
  /** Bytes per second the link holds the line to, or null when it enforces none. */
  lineRate: number | null;
  username: string;
  password?: string;
  scratch: string;
}

interface Figures {
  bytes: number;
  oursSeconds: number;
  fixedSeconds: number;
  szSeconds: number;
}

const mib = (b: number) => (b / 1048576).toFixed(2);
const rate = (bytes: number, s: number) => `${Math.round(bytes / s).toLocaleString('en')} B/s`;

async function shellOn(link: Link): Promise<SerialShell> {
  const line = { baud: Number(process.env.BENCH_SERIAL_BAUD ?? 115200), dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' } as const;
  return openSerialShell({ path: link.path, line, username: link.username, password: link.password, responseTimeoutMs: 30_000 });
}

/** Times `sz` sending the file to an rz the box's shell starts in its own folder, over the same tty. */
async function timeSz(link: Link, file: string, folder: string): Promise<number> {
  const fd = fs.openSync(link.path, 'r+');
  try {
    // EdgeForge's shell (left logged in, echo off) starts rz; sz's own "rz\r" then reaches rz as noise, which rz skips.
    fs.writeSync(fd, `cd ${folder} && rz --binary --overwrite\n`);
    await sleep(500);
    const t0 = process.hrtime.bigint();
    const sz = spawn('sz', ['--binary', '--quiet', file], { stdio: [fd, fd, 'ignore'] });
    const code = await new Promise<number | null>((resolve) => sz.on('exit', resolve));
    if (code !== 0) throw new Error(`sz exited with ${code}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    fs.closeSync(fd);
  }
}

async function measure(link: Link, bytes: number): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-serial-'));
  try {
    const file = path.join(dir, 'payload.bin');
    fs.writeFileSync(file, randomBytes(bytes));
    const one = path.join(dir, 'one.bin');
    fs.writeFileSync(one, Buffer.from([42]));

    let shell = await shellOn(link);
    await shell.exec(`rm -rf ${link.scratch} && mkdir -p ${link.scratch}/sz`);
    let t = process.hrtime.bigint();
    await shell.upload(one, `${link.scratch}/one.bin`);
    const fixedSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    await shell.upload(file, `${link.scratch}/ours.bin`);
    const oursSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (shell.lastUpload?.method !== 'zmodem') throw new Error(`the upload went by ${shell.lastUpload?.method}, not ZMODEM`);
    await shell.close({ logout: false });

    const szSeconds = await timeSz(link, file, `${link.scratch}/sz`);
    shell = await shellOn(link);
    const check = await shell.exec(`cd ${link.scratch} && sha256sum ours.bin sz/payload.bin && rm -rf ${link.scratch}`, { timeoutMs: 600_000 });
    await shell.close();
    const sums = [...check.stdout.matchAll(/^([0-9a-f]{64})/gm)].map((m) => m[1]);
    if (sums.length !== 2 || sums[0] !== sums[1]) throw new Error(`the two copies differ on the box:\n${check.stdout}`);
    return { bytes, oursSeconds, fixedSeconds, szSeconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(link: Link, f: Figures): void {
  const transfer = Math.max(0.001, f.oursSeconds - f.fixedSeconds);
  console.log(`serial ZMODEM, ${link.name}: ${mib(f.bytes)} MiB`);
  console.log(`  sz (lrzsz)                 ${f.szSeconds.toFixed(2)} s  ${rate(f.bytes, f.szSeconds)}`);
  console.log(`  edgeforge upload()         ${f.oursSeconds.toFixed(2)} s  ${rate(f.bytes, f.oursSeconds)}  (staging, rz, sha256 read-back)`);
  console.log(`  edgeforge, fixed part off  ${transfer.toFixed(2)} s  ${rate(f.bytes, transfer)}  (1-byte upload: ${f.fixedSeconds.toFixed(2)} s)`);
  console.log(`  throughput ratio edgeforge/sz: ${(f.szSeconds / f.oursSeconds).toFixed(2)} end to end, ${(f.szSeconds / transfer).toFixed(2)} transfer only`);
  if (link.lineRate) {
    console.log(
      `  of the line rate (${link.lineRate.toLocaleString('en')} B/s): edgeforge ${(f.bytes / f.oursSeconds / link.lineRate).toFixed(2)} end to end, ` +
        `${(f.bytes / transfer / link.lineRate).toFixed(2)} transfer only; sz ${(f.bytes / f.szSeconds / link.lineRate).toFixed(2)}`,
    );
  } else {
    console.log('  this link enforces no baud rate, so there is no line rate to compare with');
  }
}

async function pacedLine(): Promise<void> {
  const baud = Number(process.env.BENCH_SERIAL_BAUD ?? 115200);
  const lineRate = lineCharsPerSecond({ baud, dataBits: 8, parity: 'none', stopBits: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-line-'));
  const cable = await Cable.start({ boxCommand: '/bin/sh -i', path: path.join(dir, 'ttyUSB0'), bytesPerSecond: lineRate });
  try {
    const link: Link = {
      name: `a line paced to ${baud} 8N1 (pty relay)`,
      path: path.join(dir, 'ttyUSB0'),
      lineRate,
      username: 'root',
      scratch: path.join(dir, 'box'),
    };
    report(link, await measure(link, Number(process.env.BENCH_SERIAL_KB ?? 512) * 1024));
  } finally {
    await cable.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function barePty(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-pty-'));
  const pty = await ptyConsole(dir, '/bin/sh -i');
  try {
    const link: Link = {
      name: 'a bare socat pty pair (no baud rate enforced)',
      path: pty.path,
      lineRate: null,
      username: 'root',
      scratch: path.join(dir, 'box'),
    };
    report(link, await measure(link, Number(process.env.BENCH_SERIAL_PTY_MB ?? 32) * 1048576));
  } finally {
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs with the lab lock held (see labUnderLock). */
async function qemuBox(): Promise<void> {
  const lab = await Lab.create(ensureBoxImage());
  try {
    const box = await lab.start({ name: 'benchserial' });
    await box.waitReady(180_000);
    const baud = 115200;
    const link: Link = {
      name: `QEMU lab box ttyS0 (16550 at ${baud} 8N1 in the guest)`,
      path: box.serialPaths[0],
      lineRate: lineCharsPerSecond({ baud, dataBits: 8, parity: 'none', stopBits: 1 }),
      username: 'root',
      password: ROOT_PASSWORD,
      scratch: '/root/bench-serial',
    };
    const f = await measure(link, Number(process.env.BENCH_SERIAL_KB ?? 512) * 1024);
    report(link, f);
    if (f.bytes / f.szSeconds > link.lineRate! * 1.1)
      console.log('  (QEMU does not hold its emulated UART to the baud rate: both run faster than the line would; the ratio to sz is the meaningful one)');
  } finally {
    await lab.dispose();
  }
}

function labUnderLock(): void {
  const image = path.join(cacheRoot(), `box-${boxImageHash()}`, '.complete');
  if (!fs.existsSync(image)) {
    console.log('serial ZMODEM, QEMU lab box: skipped (no cached lab image; `npx tsx test/lab/build.ts` builds one)');
    return;
  }
  // The lab's global teardown kills every lab QEMU, so a lab box runs only with the lab lock held.
  const r = spawnSync('flock', [LAB_LOCK, process.execPath, '--import', 'tsx', self, 'qemu'], { stdio: 'inherit' });
  if (r.status !== 0) console.error(`serial ZMODEM, QEMU lab box: failed (exit ${r.status})`);
}

/** One part (`paced`, `pty`, or `qemu`, which expects the lab lock held), or all three. */
async function main(part: string | undefined): Promise<void> {
  if (part === 'qemu') return qemuBox();
  if (part === 'paced') return pacedLine();
  if (part === 'pty') return barePty();
  await pacedLine();
  await barePty();
  if (process.env.BENCH_SERIAL_QEMU !== '0') labUnderLock();
}

/** For bench/run.ts: runs in a child process, as the other benchmarks run their tools, so it stays synchronous to the caller. */
export function benchSerial(): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench serial failed (exit ${r.status})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
