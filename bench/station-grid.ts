/**
 * station-grid: the Station's grid of a run of 50 boxes, all flashing at
 * once, in Debian's Chromium: do the renderer's long tasks stay under 50 ms?
 * Measured in the page with the Performance API.
 *
 * A SIMULATION OF BOX JOBS; no box is touched. What is real and what is not:
 *
 *   - real: the headless host (startHost, in this process) over a fresh data
 *     directory opened by openRuntime; the catalog (a model, a k3s runtime
 *     folder imported as an artifact, a published combo), the batch and the
 *     run of 50 boxes, all made through the product's services; the 50
 *     flash-box jobs in the job service's flash pool (limit raised to 50),
 *     with FlashService's own step loop (each step persisted running/done,
 *     the retry with backoff of a line fault, the box's failure), its
 *     progress (JobContext.progress, emitted at most every 200 ms a job),
 *     its logs, its events, the API's flash.events stream over the
 *     WebSocket, and the built renderer (dist/renderer) at #/station/<run>;
 *   - simulated: the bodies of the steps (FlashService's connect and step
 *     methods are replaced on the instance, in this process): no SSH
 *     connection is opened (the targets are closed loopback ports, checked
 *     closed), the probe's hardware report is made up (the product's
 *     compareWithModel checks it), the upload reports one progress call per
 *     32 KiB acknowledged as SFTP does, the installer's eight steps report
 *     start/done as install.sh's progress lines would, and activation
 *     writes a seat and serial without the ledger. One box has its
 *     connection dropped mid-upload (retried on a new connection, resumed);
 *     one box probes with too little RAM (fails, as a real mismatch does).
 *
 * A run is compressed into BENCH_GRID_SECONDS (default 60): every box is
 * uploading for about two thirds of it. The boxes share the station's link,
 * BENCH_GRID_LINK_MIBPS (default 110, a gigabit NIC), which sizes the
 * bundle (a sparse file; about 86 MiB for 60 s) unless BENCH_GRID_BUNDLE_MB
 * is given. Chromium is headless with the e2e tests' flags, viewport
 * 1600×1000; the host and the browser share this machine. It waits for
 * the lab lock (/tmp/edgeforge-lab.lock) and holds it while it runs, so
 * that no lab QEMU shares the cores; BENCH_GRID_LOCK=0 does not wait.
 *
 * Also: BENCH_GRID_RENDERER=<dir> serves another build of the renderer
 * (default dist/renderer); BENCH_GRID_PROFILE=<file> takes the page's CPU
 * profile over the window and sums it by function and by module (by module
 * only with a build that keeps its module comments, i.e. not minified);
 * BENCH_GRID_JSON=<file> keeps the raw page figures.
 *
 * Run: `npm run bench -- station-grid`, or `node --import tsx bench/station-grid.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ComboSpecSchema,
  FlashRunCreateSchema,
  HardwareModelSpecSchema,
  HardwareReportSchema,
  type FlashCredentials,
  type FlashStep,
  type FlashTarget,
  type HardwareModelSpec,
  type HardwareReport,
} from '../main/api/contract';
import { AppError } from '../main/api/errors';
import { startHost } from '../main/host';
import type { JobContext } from '../main/jobs';
import { NativeHost, childProcessChannel } from '../main/native';
import { compareWithModel, type RemoteShell } from '../main/provision';
import { mismatchError } from '../main/provision/probe';
import { openRuntime, type Runtime } from '../main/runtime';
import { ensureOciFixtures } from '../test/lab/cache';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../test/support/chromium';
import { childBench, root } from './common';

const LAB_LOCK = '/tmp/edgeforge-lab.lock';
const BOXES = 50;
const CHUNK = 32 * 1024;
/** Box positions (0-based) that meet a fault, so the grid shows them as a real run would. */
const DROPPED_MID_UPLOAD = 7;
const TOO_LITTLE_RAM = 22;

const MODEL = {
  name: 'sim-edge-box',
  os: { family: 'debian', version: '12' },
  arch: 'x86_64',
  minCpuCores: 4,
  minMemoryMiB: 8192,
  minDiskGiB: 64,
  installDisk: '/dev/sda',
  nics: [
    { name: 'eth0', role: 'wan', addressing: 'dhcp' },
    { name: 'eth1', role: 'cluster', addressing: 'static', address: '10.20.0.10/24' },
  ],
  serialPorts: [
    { device: '/dev/ttyS0', role: 'console', baud: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none', provisioningConsole: true },
  ],
};

/** install.sh's install steps, with rough weights of their time on a box. */
const INSTALL_STEPS: [string, number][] = [
  ['verify', 1],
  ['preflight', 0.5],
  ['space', 0.2],
  ['drivers', 1],
  ['runtime', 2],
  ['images', 4],
  ['lightapps', 1],
  ['identity', 0.3],
];

/** FlashService's private step machinery, replaced on the instance (see the header). */
interface FlashInternals {
  connect(boxId: string, target: FlashTarget, creds: FlashCredentials, model: HardwareModelSpec, ctx: JobContext): Promise<RemoteShell>;
  stepProbe(boxId: string, shellP: Promise<RemoteShell>, model: HardwareModelSpec, ctx: JobContext): Promise<string>;
  stepUpload(boxId: string, run: { bundle_file: string; bundle_size: number }, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string>;
  stepVerify(boxId: string, run: { bundle_sha256: string }, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string>;
  stepInstall(boxId: string, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string>;
  stepActivate(boxId: string, batchId: string, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string>;
  stepReady(boxId: string, run: unknown, join: unknown, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string>;
  setBox(boxId: string, patch: Record<string, unknown>): void;
  setStep(boxId: string, step: FlashStep, patch: Record<string, unknown>): void;
}
const REPLACED = ['connect', 'stepProbe', 'stepUpload', 'stepVerify', 'stepInstall', 'stepActivate', 'stepReady'] as const;

/** mulberry32: the same simulated run every time. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Plan {
  position: number;
  serial: string;
  port: number;
  /** Seconds, from the start of the simulation. */
  startDelay: number;
  connect: number;
  probe: number;
  uploadEndsAt: number;
  verify: number;
  install: number;
  activate: number;
  ready: number;
}

function plans(seconds: number, ports: number[]): Plan[] {
  const r = rng(20261122);
  const between = (a: number, b: number) => a + (b - a) * r();
  return ports.map((port, position) => ({
    position,
    serial: `SIM-${String(position + 1).padStart(4, '0')}`,
    port,
    startDelay: between(0, 0.03 * seconds),
    connect: between(0.3, 1.2),
    probe: between(0.02, 0.04) * seconds,
    uploadEndsAt: between(0.66, 0.76) * seconds,
    verify: between(0.04, 0.06) * seconds,
    install: between(0.1, 0.14) * seconds,
    activate: between(0.5, 1.5),
    ready: between(0.3, 0.8),
  }));
}

function hardware(plan: Plan, memoryMiB: number): HardwareReport {
  const mac = (nic: number) => `52:54:00:${(plan.position >> 8).toString(16).padStart(2, '0')}:${(plan.position & 255).toString(16).padStart(2, '0')}:0${nic}`;
  return HardwareReportSchema.parse({
    arch: 'x86_64',
    cpuModel: 'Intel(R) Atom(TM) x6425E CPU @ 2.00GHz',
    cpuCores: 4,
    memoryMiB,
    disks: [{ name: 'sda', sizeBytes: 128_035_676_160, model: 'SATA SSD 128GB' }],
    nics: [
      { name: 'eth0', mac: mac(0), link: 'up', addresses: [`192.168.10.${20 + plan.position}/24`], physical: true },
      { name: 'eth1', mac: mac(1), link: 'up', addresses: [`10.20.0.${20 + plan.position}/24`], physical: true },
    ],
    serialDevices: ['/dev/ttyS0', '/dev/ttyS1'],
    pciDevices: [
      { slot: '0000:00:02.0', id: '8086:4571', classId: '0300' },
      { slot: '0000:01:00.0', id: '8086:125c', classId: '0200' },
      { slot: '0000:02:00.0', id: '8086:125c', classId: '0200' },
    ],
    dmi: { uuid: randomUUID(), serial: plan.serial, boardSerial: `${plan.serial}-MB`, vendor: 'Sim Appliances', product: 'EB-4' },
    hostname: `box-${plan.position + 1}`,
    os: 'Debian GNU/Linux 12 (bookworm)',
  });
}

/**
 * Replaces the step bodies of FlashService on this instance: the step loop,
 * persistence, retries, progress and events stay the product's.
 */
function simulate(rt: Runtime, byPort: Map<number, Plan>, go: Promise<number>): void {
  const flash = rt.flash as unknown as FlashInternals & Record<string, unknown>;
  for (const name of [...REPLACED, 'setBox', 'setStep'])
    if (typeof flash[name] !== 'function') throw new Error(`FlashService has no method "${name}" any more: bench/station-grid.ts must follow it`);
  const plan = new Map<string, Plan>();
  const uploaded = new Map<string, number>();
  const dropped = new Set<string>();
  let t0 = 0;
  const until = (atSeconds: number, signal: AbortSignal) => sleep(Math.max(0, t0 + atSeconds * 1000 - Date.now()), undefined, { signal });
  const wait = (seconds: number, signal: AbortSignal) => sleep(seconds * 1000, undefined, { signal });
  const shell = (p: Plan): RemoteShell => ({
    transport: 'ssh',
    label: `root@127.0.0.1:${p.port}`,
    exec: () => Promise.reject(new Error('simulated box: no commands')),
    upload: () => Promise.reject(new Error('simulated box: no uploads')),
    close: () => Promise.resolve(),
  });
  const planOf = (boxId: string) => plan.get(boxId)!;

  Object.assign(flash, {
    connect: async (boxId: string, target: FlashTarget, _c: FlashCredentials, _m: HardwareModelSpec, ctx: JobContext): Promise<RemoteShell> => {
      if (target.transport !== 'ssh') throw new Error('simulated boxes are SSH targets');
      let p = plan.get(boxId);
      if (!p) {
        p = byPort.get(target.port)!;
        plan.set(boxId, p);
        t0 = await go;
        await until(p.startDelay, ctx.signal);
      }
      await wait(p.connect, ctx.signal);
      const fingerprint = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
      ctx.log(`new host 127.0.0.1:${p.port}, key ${fingerprint} trusted on first use`);
      flash.setBox(boxId, { host_key: JSON.stringify({ fingerprint, firstUse: true }) });
      return shell(p);
    },
    stepProbe: async (boxId: string, shellP: Promise<RemoteShell>, model: HardwareModelSpec, ctx: JobContext): Promise<string> => {
      const s = await shellP;
      const p = planOf(boxId);
      await wait(p.probe, ctx.signal);
      const hw = hardware(p, p.position === TOO_LITTLE_RAM ? 3_900 : 7_940);
      const checks = compareWithModel(hw, model, p.serial);
      flash.setBox(boxId, {
        hardware: JSON.stringify(hw),
        checks: JSON.stringify(checks),
        facts: JSON.stringify({ clusterAddress: `10.20.0.${20 + p.position}` }),
      });
      for (const c of checks) ctx.log(`  ${c.ok ? 'OK  ' : 'FAIL'} ${c.check}: want ${c.want}; found ${c.found}`, c.ok ? 'info' : 'warn');
      if (checks.some((c) => !c.ok)) throw mismatchError(s.label, checks);
      return `${hw.arch}, ${hw.cpuCores} cores, ${hw.memoryMiB} MiB, ${hw.nics.length} NICs, DMI serial ${hw.dmi.serial}`;
    },
    stepUpload: async (boxId: string, run: { bundle_file: string; bundle_size: number }, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> => {
      const s = await shellP;
      const p = planOf(boxId);
      const total = run.bundle_size;
      const started = Date.now();
      let done = uploaded.get(boxId) ?? 0;
      if (done > 0) ctx.log(`upload: resumed at ${(done / 1048576).toFixed(1)} MiB of ${(total / 1048576).toFixed(1)} MiB (verified on the box)`);
      ctx.progress(done, total);
      // One progress call per 32 KiB acknowledged, as SshShell.upload makes them, gathered into 25 ms ticks.
      let acked = done;
      while (done < total) {
        await wait(0.025, ctx.signal);
        const left = Math.max(0.025, (t0 + p.uploadEndsAt * 1000 - Date.now()) / 1000);
        const step = Math.min(total - done, Math.max(CHUNK, Math.round(((total - done) / left) * 0.025 * (0.8 + 0.4 * Math.random()))));
        done += step;
        while (acked + CHUNK <= done) ctx.progress((acked += CHUNK), total);
        if (done === total) ctx.progress(total, total);
        uploaded.set(boxId, done);
        if (p.position === DROPPED_MID_UPLOAD && !dropped.has(boxId) && done > total * 0.4) {
          dropped.add(boxId);
          throw new AppError('SSH_CONNECTION_LOST', {
            en: `The SSH connection to ${s.label} was lost (read ECONNRESET).`,
            zh: `与 ${s.label} 的 SSH 连接已断开（read ECONNRESET）。`,
          });
        }
      }
      const remote = `/var/lib/edgeforge/upload/${path.basename(run.bundle_file)}`;
      flash.setBox(boxId, { facts: JSON.stringify({ clusterAddress: `10.20.0.${20 + p.position}`, bundleRemote: remote }) });
      return `${(total / 1048576).toFixed(1)} MiB to ${remote} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    },
    stepVerify: async (boxId: string, run: { bundle_sha256: string }, _s: Promise<RemoteShell>, ctx: JobContext): Promise<string> => {
      const p = planOf(boxId);
      await wait(p.verify * 0.6, ctx.signal);
      const dir = `/var/lib/edgeforge/bundles/${run.bundle_sha256.slice(0, 16)}/edgeforge-bundle`;
      flash.setBox(boxId, {
        facts: JSON.stringify({ clusterAddress: `10.20.0.${20 + p.position}`, bundleRemote: '/var/lib/edgeforge/upload/bundle.tar', bundleDir: dir }),
      });
      for (const [name] of INSTALL_STEPS.slice(0, 2)) ctx.log(`  box: EDGEFORGE-BUNDLE step=0/2 name=${name} state=done`);
      await wait(p.verify * 0.4, ctx.signal);
      return "sha256 read back; signatures and edgeforge-bundle files verified by the box's installer";
    },
    stepInstall: async (boxId: string, _s: Promise<RemoteShell>, ctx: JobContext): Promise<string> => {
      const p = planOf(boxId);
      const weight = INSTALL_STEPS.reduce((a, [, w]) => a + w, 0);
      let last = '';
      for (const [i, [name, w]] of INSTALL_STEPS.entries()) {
        for (const state of ['start', 'done']) {
          const line = `EDGEFORGE-BUNDLE step=${i + 1}/${INSTALL_STEPS.length} name=${name} state=${state}`;
          flash.setStep(boxId, 'install', { note: `installer step ${i + 1}/${INSTALL_STEPS.length} ${name}: ${state}` });
          ctx.log(`  box: ${line}`);
          last = `${name} ${state}`;
          if (state === 'start') await wait((p.install * w) / weight, ctx.signal);
        }
      }
      return `installer finished (${last})`;
    },
    stepActivate: async (boxId: string, _b: string, _s: Promise<RemoteShell>, ctx: JobContext): Promise<string> => {
      const p = planOf(boxId);
      await wait(p.activate, ctx.signal);
      ctx.log(`seat ${p.position + 1} (${p.serial})`);
      flash.setBox(boxId, { seat: p.position + 1, serial: p.serial });
      return `seat ${p.position + 1}, serial ${p.serial}`;
    },
    stepReady: async (boxId: string, _r: unknown, _j: unknown, _s: Promise<RemoteShell>, ctx: JobContext): Promise<string> => {
      await wait(planOf(boxId).ready, ctx.signal);
      return 'activated (read back from the box)';
    },
  });
}

/** Ports on 127.0.0.1 that refuse connections (nothing listens), so no target is anything real. */
async function closedPorts(n: number): Promise<number[]> {
  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
  const out: number[] = [];
  for (let port = 47001; out.length < n && port < 48000; port++) if (await refused(port)) out.push(port);
  if (out.length < n) throw new Error('not enough closed loopback ports');
  return out;
}

async function jobEnded(rt: Runtime, id: string): Promise<{ state: string; result: unknown; error: unknown }> {
  for (;;) {
    const j = rt.jobs.get(id);
    if (j.state !== 'queued' && j.state !== 'running') return j;
    await sleep(20);
  }
}

/** A k3s runtime folder as the tests make one (a gcc-built ELF carrying a k3s version, the lab's image archive, an install script). */
function k3sFolder(dir: string): string {
  const k3s = path.join(dir, 'k3s-runtime');
  fs.mkdirSync(k3s);
  fs.writeFileSync(path.join(dir, 'k3s.c'), 'const char *v = "v1.30.2+k3s1"; int main(void) { return 0; }\n');
  execFileSync('gcc', ['-o', path.join(k3s, 'k3s'), path.join(dir, 'k3s.c')]);
  fs.copyFileSync(path.join(ensureOciFixtures().dir, 'app-amd64.docker.tar'), path.join(k3s, 'k3s-airgap-images-amd64.tar'));
  fs.writeFileSync(path.join(k3s, 'install.sh'), '#!/bin/sh\n: "${INSTALL_K3S_SKIP_DOWNLOAD:=true}"\n');
  return k3s;
}

/**
 * Installed in the page before any of its scripts: long tasks and long
 * animation frames (buffered observers), frame times (rAF), WebSocket
 * messages received. Plain JavaScript in a string: tsx's name-keeping
 * helpers must not leak into the page.
 */
const MEASURE_IN_PAGE = `(() => {
  const b = { longtasks: [], loafs: [], frames: [], ws: { messages: 0, chars: 0 }, errors: [] };
  window.__efBench = b;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        b.longtasks.push({
          start: e.startTime,
          duration: e.duration,
          attribution: (e.attribution || []).map((a) => ({ name: a.name, containerType: a.containerType, containerSrc: a.containerSrc, containerName: a.containerName })),
        });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    b.errors.push('longtask: ' + e);
  }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        b.loafs.push({
          start: e.startTime,
          duration: e.duration,
          blocking: e.blockingDuration,
          renderStart: e.renderStart,
          styleAndLayoutStart: e.styleAndLayoutStart,
          scripts: e.scripts.map((s) => ({
            invoker: s.invoker,
            invokerType: s.invokerType,
            sourceURL: s.sourceURL,
            sourceFunctionName: s.sourceFunctionName,
            sourceCharPosition: s.sourceCharPosition,
            duration: s.duration,
            forcedStyleAndLayoutDuration: s.forcedStyleAndLayoutDuration,
          })),
        });
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch (e) {
    b.errors.push('long-animation-frame: ' + e);
  }
  let last = 0;
  const tick = (t) => {
    if (last) b.frames.push(t, t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (ev) => {
        b.ws.messages++;
        b.ws.chars += typeof ev.data === 'string' ? ev.data.length : ev.data.byteLength || ev.data.size || 0;
      });
    }
  };
})();`;

type PageFigures = {
  longtasks: { start: number; duration: number; attribution: { name: string; containerType: string; containerSrc: string; containerName: string }[] }[];
  loafs: {
    start: number;
    duration: number;
    blocking: number;
    renderStart: number;
    styleAndLayoutStart: number;
    scripts: {
      invoker: string;
      invokerType: string;
      sourceURL: string;
      sourceFunctionName: string;
      sourceCharPosition: number;
      duration: number;
      forcedStyleAndLayoutDuration: number;
    }[];
  }[];
  frames: number[];
  ws: { messages: number; chars: number };
  errors: string[];
};

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The page's main-thread CPU profile: self time by function, and by the
 * module it comes from when the bundle carries its module comments (a
 * build without minification: `// node_modules/antd/es/button/Button.js`).
 */
function summarise(profile: CpuProfile, assets: string): { self: [string, number][]; modules: [string, number][]; total: number } {
  const markers = new Map<string, { line: number; name: string }[]>();
  const moduleOf = (url: string, line: number): string | null => {
    const file = path.join(assets, path.basename(url));
    if (!url || !fs.existsSync(file)) return null;
    if (!markers.has(file))
      markers.set(
        file,
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((l, i) => {
            const m = /^\/\/ (\S+\.(?:m?[jt]sx?|cjs))$/.exec(l);
            if (!m) return [];
            const parts = m[1]!.split('/');
            const name = parts[0] === 'node_modules' ? parts.slice(1, parts[1]!.startsWith('@') ? 3 : 2).join('/') : parts.slice(0, 3).join('/');
            return [{ line: i, name }];
          }),
      );
    const list = markers.get(file)!;
    let lo = 0;
    let hi = list.length - 1;
    let found: string | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.line <= line) {
        found = list[mid]!.name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') return;
    total += ms;
    const name = `${f.functionName || '(anonymous)'} ${path.basename(f.url) || ''}${f.url ? `:${f.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + ms);
    const mod = moduleOf(f.url, f.lineNumber) ?? (f.url ? 'the bundle' : f.functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((x, y) => y[1] - x[1]);
  return { self: sorted(self).slice(0, 12), modules: sorted(modules).slice(0, 12), total };
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main(): Promise<void> {
  const SECONDS = Number(process.env.BENCH_GRID_SECONDS ?? 60);
  // The boxes share the station's link (default a gigabit NIC's ~110 MiB/s): the bundle is sized so that their uploads fill it for the time they take.
  const LINK_MIBPS = Number(process.env.BENCH_GRID_LINK_MIBPS ?? 110);
  const BUNDLE_MB = Number(process.env.BENCH_GRID_BUNDLE_MB ?? Math.max(1, Math.round((LINK_MIBPS * (0.665 * SECONDS - 0.75)) / BOXES)));
  const staticDir = process.env.BENCH_GRID_RENDERER ?? path.join(root, 'dist', 'renderer');
  const nativeWorker = path.join(root, 'dist', 'main', 'native-worker.js');
  for (const f of [path.join(staticDir, 'index.html'), nativeWorker])
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run "npm run build" first (the bench serves the built renderer).`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-grid-'));
  const loadBefore = os.loadavg()[0]!;
  const rt = openRuntime({
    home: path.join(dir, 'home'),
    native: new NativeHost('child-process', childProcessChannel(nativeWorker)),
    mode: 'owner',
    version: 'bench',
    shell: 'headless-host',
    osLocale: 'en',
    passphrase: 'bench station passphrase',
    resourcesDir: path.join(root, 'resources'),
  });
  let host: Awaited<ReturnType<typeof startHost>> | null = null;
  let browser: Browser | null = null;
  try {
    await rt.native.start().catch(() => undefined);
    // The catalog, the batch and the run, through the product's services.
    const imported = await jobEnded(rt, (await rt.artifacts.startImport({ path: k3sFolder(dir) })).id);
    if (imported.state !== 'succeeded') throw new Error(`k3s runtime import ${imported.state}: ${JSON.stringify(imported.error)}`);
    const runtimeId = (imported.result as { artifacts: { id: string }[] }).artifacts[0]!.id;
    const model = rt.models.create(HardwareModelSpecSchema.parse(MODEL));
    rt.models.publish(model.id);
    const combo = rt.combos.create(ComboSpecSchema.parse({ name: 'sim-line', modelId: model.id, modelRevision: 1, runtimeArtifactId: runtimeId }));
    rt.combos.publish(combo.id);
    const batch = rt.batches.create({ comboId: combo.id, quantity: BOXES, serialPrefix: 'SIM-', serialDigits: 4 });
    const bundle = path.join(dir, `edgeforge-${batch.id}.tar`);
    fs.closeSync(fs.openSync(bundle, 'w'));
    fs.truncateSync(bundle, BUNDLE_MB * 1048576);

    const ports = await closedPorts(BOXES);
    const byPort = new Map(plans(SECONDS, ports).map((p) => [p.port, p]));
    let start!: (t0: number) => void;
    const go = new Promise<number>((resolve) => (start = resolve));
    simulate(rt, byPort, go);
    rt.flash.parallelOverride = BOXES;

    const counts = { box: 0, run: 0, job: 0, log: 0 };
    let counting = false;
    rt.flash.subscribe((e) => {
      if (counting) counts[e.type]++;
    });
    rt.jobs.subscribe((e) => {
      if (counting && (e.type === 'job' || e.type === 'log')) counts[e.type]++;
    });

    const run = await rt.flash.createRun(
      FlashRunCreateSchema.parse({
        batchId: batch.id,
        bundleFile: bundle,
        join: { mode: 'none' },
        boxes: [...byPort.values()].map((p) => ({
          target: { transport: 'ssh', host: '127.0.0.1', port: p.port },
          credentials: { username: 'root', password: 'simulated' },
          labelSerial: p.serial,
        })),
      }),
    );
    host = await startHost({ router: rt.router, staticDir, listen: '127.0.0.1', port: 0, uploadDir: rt.layout.uploads });

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'en-US' })).newPage();
    await page.addInitScript(MEASURE_IN_PAGE);
    await page.goto(`${host.openUrl}#/station/${run.id}`);
    await page.getByTestId('box-grid').waitFor({ timeout: 60_000 });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="box-card"]').length === n, BOXES, { timeout: 60_000 });
    await page
      .waitForFunction(() => document.querySelector('[data-testid="station-live"][data-live="true"]') !== null, undefined, { timeout: 30_000 })
      .catch(() => undefined);
    await page.waitForTimeout(2000);

    // The simulation starts now; everything before it is the page's load.
    const pageT0 = await page.evaluate(() => performance.now());
    // BENCH_GRID_PROFILE=<file>: the page's CPU profile over the window (it costs the page time: long-task figures of such a run are not the bench's).
    const cdp = process.env.BENCH_GRID_PROFILE ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
      await cdp.send('Profiler.start');
    }
    counting = true;
    const t0 = Date.now();
    start(t0);
    const jobIds = rt.flash.detail(run.id).boxes.map((b) => b.jobId!);
    const deadline = t0 + (SECONDS + 60) * 1000;
    while (Date.now() < deadline && jobIds.some((id) => ['queued', 'running'].includes(rt.jobs.get(id).state))) await sleep(250);
    const simSeconds = (Date.now() - t0) / 1000;
    const ended = Date.now();
    const detail = rt.flash.detail(run.id);
    const states: Record<string, number> = {};
    for (const b of detail.boxes) states[b.state] = (states[b.state] ?? 0) + 1;
    // The grid has caught up when every card shows its box's final state: how long after the last job ended.
    const gridStates = () =>
      page.evaluate(() => {
        const out: Record<string, number> = {};
        for (const c of document.querySelectorAll<HTMLElement>('[data-testid="box-card"]')) out[c.dataset.state!] = (out[c.dataset.state!] ?? 0) + 1;
        return out;
      });
    const want = JSON.stringify(Object.entries(states).sort());
    let caughtUp: number | null = null;
    while (Date.now() - ended < 180_000) {
      if (JSON.stringify(Object.entries(await gridStates()).sort()) === want) {
        caughtUp = (Date.now() - ended) / 1000;
        break;
      }
      await sleep(250);
    }
    await page.waitForTimeout(1000);
    counting = false;
    const pageT1 = await page.evaluate(() => performance.now());
    const profile = cdp ? ((await cdp.send('Profiler.stop')).profile as CpuProfile) : null;
    const loadAfter = os.loadavg()[0]!;
    const fig = (await page.evaluate(() => (window as unknown as { __efBench: unknown }).__efBench)) as PageFigures;
    const grid = await gridStates();

    const inWindow = <T extends { start: number }>(xs: T[]) => xs.filter((x) => x.start >= pageT0 && x.start <= pageT1);
    const loadTasks = fig.longtasks.filter((t) => t.start < pageT0);
    const tasks = inWindow(fig.longtasks);
    const loafs = inWindow(fig.loafs);
    const deltas: number[] = [];
    for (let i = 0; i < fig.frames.length; i += 2) if (fig.frames[i]! >= pageT0 && fig.frames[i]! <= pageT1) deltas.push(fig.frames[i + 1]!);
    const windowS = (pageT1 - pageT0) / 1000;
    const chromiumVersion = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();

    console.log(`station-grid: a SIMULATION of ${BOXES} box jobs (no box is touched) seen in the Station grid, ${chromiumVersion}, headless, 1600×1000`);
    console.log(
      `  ${BOXES} flash-box jobs at once through FlashService's step loop and the job service; step bodies simulated; run compressed into ${SECONDS} s (took ${simSeconds.toFixed(1)} s); bundle ${BUNDLE_MB} MiB (${BOXES} boxes sharing ${LINK_MIBPS} MiB/s)`,
    );
    const assets = fs.readdirSync(path.join(staticDir, 'assets')).filter((f) => f.endsWith('.js'));
    console.log(`  renderer ${path.relative(root, staticDir) || staticDir} (${assets.join(', ')})`);
    console.log(`  ${os.cpus().length} cores; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
    console.log(
      `  events in the measured window (${windowS.toFixed(1)} s): ${counts.box} box + ${counts.run} run flash events (${(counts.box / simSeconds).toFixed(0)}/s), ${counts.job} job + ${counts.log} log job events; ` +
        `the page received ${fig.ws.messages} WebSocket messages (${(fig.ws.chars / 1048576).toFixed(1)} MiB)`,
    );
    console.log(
      `  boxes at the end: host ${JSON.stringify(states)}; grid ${JSON.stringify(grid)}; ` +
        (caughtUp === null
          ? 'the grid had NOT caught up 180 s after the last job ended'
          : `the grid caught up ${caughtUp.toFixed(1)} s after the last job ended`),
    );
    console.log(
      `  long tasks during the simulation: ${tasks.length}${tasks.length ? `, longest ${Math.max(...tasks.map((t) => t.duration)).toFixed(0)} ms` : ''} (goal: none ≥ 50 ms)` +
        `; during the page's load before it: ${loadTasks.length}${loadTasks.length ? `, longest ${Math.max(...loadTasks.map((t) => t.duration)).toFixed(0)} ms` : ''}`,
    );
    console.log(
      `  frames: ${deltas.length} (${(deltas.length / windowS).toFixed(1)}/s); frame time p50 ${pct(deltas, 50).toFixed(1)} ms, p95 ${pct(deltas, 95).toFixed(1)} ms, p99 ${pct(deltas, 99).toFixed(1)} ms, ` +
        `max ${Math.max(...deltas).toFixed(1)} ms; ${deltas.filter((d) => d > 50).length} frames over 50 ms`,
    );
    console.log(
      `  long animation frames (≥ 50 ms) during the simulation: ${loafs.length}${loafs.length ? `, longest ${Math.max(...loafs.map((l) => l.duration)).toFixed(0)} ms` : ''}`,
    );
    for (const e of fig.errors) console.log(`  (observer unavailable: ${e})`);
    const worst = [...tasks].sort((a, b) => b.duration - a.duration).slice(0, 8);
    for (const t of worst) {
      const frame = loafs.find((l) => l.start <= t.start + 1 && l.start + l.duration >= t.start + t.duration - 1);
      const at = ((t.start - pageT0) / 1000).toFixed(1);
      const where = t.attribution.map((a) => `${a.name}${a.containerType ? ` ${a.containerType}` : ''}`).join(', ');
      console.log(`    long task at +${at} s: ${t.duration.toFixed(0)} ms (${where || 'no attribution'})`);
      if (frame) {
        const end = frame.start + frame.duration;
        const style = frame.styleAndLayoutStart ? end - frame.styleAndLayoutStart : 0;
        const render = frame.renderStart ? end - frame.renderStart : 0;
        console.log(
          `      its animation frame: ${frame.duration.toFixed(0)} ms, blocking ${frame.blocking.toFixed(0)} ms, rendering ${render.toFixed(0)} ms (style and layout ${style.toFixed(0)} ms)`,
        );
        for (const s of [...frame.scripts].sort((a, b) => b.duration - a.duration).slice(0, 3))
          console.log(
            `      script ${s.duration.toFixed(0)} ms: ${s.invokerType} ${s.invoker} → ${s.sourceFunctionName || '(anonymous)'} at ${path.basename(s.sourceURL) || '?'}:${s.sourceCharPosition}${s.forcedStyleAndLayoutDuration ? `, forced style/layout ${s.forcedStyleAndLayoutDuration.toFixed(0)} ms` : ''}`,
          );
      }
    }
    if (profile) {
      fs.writeFileSync(process.env.BENCH_GRID_PROFILE!, JSON.stringify(profile));
      const sum = summarise(profile, path.join(staticDir, 'assets'));
      console.log(
        `  CPU profile (written to ${process.env.BENCH_GRID_PROFILE}): ${(sum.total / 1000).toFixed(1)} s of main-thread work in ${windowS.toFixed(1)} s`,
      );
      for (const [m, ms] of sum.modules)
        console.log(`    ${(ms / 1000).toFixed(2).padStart(6)} s (${((100 * ms) / sum.total).toFixed(0).padStart(2)}%)  in ${m}`);
      for (const [fn, ms] of sum.self) console.log(`    self ${(ms / 1000).toFixed(2).padStart(6)} s  ${fn}`);
    }
    if (process.env.BENCH_GRID_JSON) fs.writeFileSync(process.env.BENCH_GRID_JSON, JSON.stringify({ pageT0, pageT1, counts, fig }, null, 1));
  } finally {
    await browser?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    await rt.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// With the lab lock held, so that no lab QEMU shares the cores (BENCH_GRID_LOCK=0 runs it without waiting for the lock).
export const benchStationGrid = childBench('station-grid', import.meta.url, main, process.env.BENCH_GRID_LOCK === '0' ? undefined : LAB_LOCK);
