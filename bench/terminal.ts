/**
 * terminal: how fast output goes from a shell through the whole terminal to
 * the screen, and whether the UI stays responsive meanwhile.
 *
 * EdgeForge: the headless host (`edgeforge serve`, its native I/O worker
 * with node-pty), a local shell session opened through the API, the built
 * renderer's Terminal area in Debian's Chromium (headless, the e2e flags,
 * xterm's DOM renderer as it chooses without a GPU). The shell runs
 * `cat FILE` of BENCH_TERM_MB (default 200) MiB of printable lines; the
 * clock runs from the command until the marker after it is on the screen.
 * Everything in between is real: the pty, the worker, flow control (the
 * renderer acknowledges what xterm has written), the WebSocket, xterm.
 * While it runs, the page's long tasks and frame times are recorded
 * (Performance API), and a click on the other tab is timed.
 *
 * The standard tool: the same `cat` through a plain pseudo-terminal with
 * nothing drawing it (`script -qfc 'cat FILE' /dev/null > /dev/null`), in
 * the same run. Goal: ≥ 20 MB/s through the UI.
 *
 * The ceiling, also in the same run: xterm.js alone in a blank page of the
 * same Chromium, with the app's options and the session's size, fed the
 * same amount of the same kind of lines from memory, in the same chunks and
 * window as the app's flow control (no pty, no processes, no WebSocket, no
 * app). What it reaches is what drawing costs on this machine whatever
 * carries the output.
 *
 * Run: `npm run bench -- terminal` (after `npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Terminal } from '@xterm/xterm';
import type * as NodePty from 'node-pty';
import type { IPty } from 'node-pty';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { SessionOutput } from '../main/terminal/flow';
import { FLOW } from '../main/terminal/protocol';
import { ACK_CHARS } from '../renderer/src/terminal/io';
import { TERMINAL_FONT } from '../renderer/src/terminal/theme';
import { CHROMIUM, launchChromium } from '../test/support/chromium';
import { childBench, root } from './common';
import { connectClient, startHostProcess } from '../test/support/host';

const MB = Number(process.env.BENCH_TERM_MB ?? 200);

/** Printable lines (base64 of random bytes, 76 columns): nothing a terminal would interpret. */
function makeFile(dir: string): { file: string; bytes: number; lines: number } {
  const file = path.join(dir, 'flood.txt');
  const fd = fs.openSync(file, 'w');
  const block = 1 << 20;
  let lines = 0;
  for (let i = 0; i < MB; i++) {
    const text =
      randomBytes((block / 77) * 57)
        .toString('base64')
        .replace(/.{76}/g, '$&\n')
        .slice(0, block - 1) + '\n';
    lines += text.split('\n').length - 1;
    fs.writeSync(fd, text);
  }
  fs.closeSync(fd);
  return { file, bytes: fs.statSync(file).size, lines };
}

function plainPty(file: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('script', ['-qfc', `cat ${file}`, '/dev/null'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`script exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const MEASURE = `(() => {
  const b = { longtasks: [], frames: [] };
  window.__efTerm = b;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) b.longtasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
  let last = 0;
  const tick = (t) => { if (last) b.frames.push([t, t - last]); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})();`;

/** Clock ticks per second, the unit of /proc's CPU times. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A /proc …/stat line: the command name, the parent's pid, and the CPU seconds used (user + system). */
function procStat(stat: string): { comm: string; ppid: number; cpu: number } {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / CLK_TCK };
}

/** A process under the bench (Linux /proc): its pid, its parent's, the CPU seconds it has used, and its command line. */
interface Proc {
  pid: number;
  ppid: number;
  cpu: number;
  cmdline: string;
}

/** The processes under `root` (its children, theirs, and so on; not `root` itself), as /proc has them now. */
function procsUnder(root: number): Proc[] {
  const procs: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, cpu } = procStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      procs.push({ pid: Number(name), ppid, cpu, cmdline: fs.readFileSync(`/proc/${name}/cmdline`, 'utf8') });
    } catch {
      // Gone meanwhile.
    }
  }
  const under = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!under.has(p.pid) && under.has(p.ppid)) {
        under.add(p.pid);
        grew = true;
      }
  }
  return procs.filter((p) => p.pid !== root && under.has(p.pid));
}

/** Chromium's renderer processes under `root`. */
const renderersUnder = (root: number) => procsUnder(root).filter((p) => p.cmdline.includes('--type=renderer'));

/**
 * CPU seconds used so far by each process under `root` (Linux /proc), by
 * role: where the time goes on this machine's two cores.
 */
function cpuByRole(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of procsUnder(root)) {
    // Chromium rewrites its children's command lines into one string: the role is searched in the whole line.
    const cmd = p.cmdline.split('\0');
    const type = /--type=([\w-]+)/.exec(p.cmdline)?.[1];
    const role = cmd[0]!.includes('chrom')
      ? `chromium ${type ?? 'browser'}`
      : cmd.some((a) => a.includes('native-worker'))
        ? 'native worker'
        : cmd.includes('serve')
          ? 'host (serve)'
          : path.basename(cmd[0] ?? '?');
    out.set(role, (out.get(role) ?? 0) + p.cpu);
  }
  return out;
}

/** CPU seconds used so far by the threads of the bench's Chromium renderer processes, by thread name (Linux /proc): which of them is the busy one. */
function rendererThreads(): Map<string, number> {
  const out = new Map<string, number>();
  for (const { pid } of renderersUnder(process.pid)) {
    try {
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        const { comm, cpu } = procStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
        // The main thread bears the process's name; the others their own (ThreadPoolForeg… rasterises, DedicatedWorker…).
        const thread = tid === String(pid) ? 'main' : comm.replace(/\d+$/, '');
        out.set(thread, (out.get(thread) ?? 0) + cpu);
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * The main threads of the bench's Chromium renderer processes, by pid: the
 * seconds each has run, and the seconds it has been ready to run but waited
 * for a core (Linux /proc/…/schedstat: time on a CPU, then time waiting on
 * a run queue, in ns). What is neither is time it had nothing to do, which
 * for the page of a flood is mostly waiting for output.
 */
function rendererMainSched(): { at: number; threads: Map<number, { ran: number; waited: number }> } {
  const threads = new Map<number, { ran: number; waited: number }>();
  for (const { pid } of renderersUnder(process.pid)) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      threads.set(pid, { ran: (run ?? 0) / 1e9, waited: (wait ?? 0) / 1e9 });
    } catch {
      // Gone meanwhile, or no schedstat.
    }
  }
  return { at: performance.now() / 1000, threads };
}

/**
 * How the measured page's main thread (the renderer main thread that ran
 * most since `before`, a rendererMainSched reading) spent that time:
 * running, waiting for a core, or idle.
 */
function mainThreadSpent(before: ReturnType<typeof rendererMainSched>): string {
  const now = rendererMainSched();
  const seconds = now.at - before.at;
  let ran = 0;
  let waited = 0;
  for (const [pid, t] of now.threads) {
    const was = before.threads.get(pid) ?? { ran: 0, waited: 0 };
    if (t.ran - was.ran > ran) [ran, waited] = [t.ran - was.ran, t.waited - was.waited];
  }
  // A kernel without scheduler statistics gives no file, or zeros.
  if (ran === 0) return 'not known (no scheduler statistics in /proc)';
  return `ran ${ran.toFixed(1)} s, waited for a core ${waited.toFixed(1)} s, idle ${Math.max(0, seconds - ran - waited).toFixed(1)} s (of ${seconds.toFixed(1)})`;
}

/** CPU seconds used between two cpuByRole readings, by role, largest first (the bench's own process as `own`, when given). */
function cpuUsed(before: Map<string, number>, after: Map<string, number>, own?: { role: string; seconds: number }): string {
  const used = [...after].map(([role, s]) => [role, s - (before.get(role) ?? 0)] as const);
  if (own) used.push([own.role, own.seconds]);
  return used
    .filter(([, s]) => s >= 0.05)
    .sort((x, y) => y[1] - x[1])
    .map(([role, s]) => `${role} ${s.toFixed(1)}`)
    .join(', ');
}

/** A reference run: its time, the frames its page drew meanwhile, and the CPU its processes used (cpuUsed). */
interface Reference {
  seconds: number;
  frames: number;
  cpu: string;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

const SCREEN_PAGE = '<!doctype html><body style="margin:0"><div id="screen"></div></body>';

/** xterm's options as the app's Screen opens a session (renderer/src/terminal/screen.ts). */
const SCREEN_OPTIONS = { fontFamily: TERMINAL_FONT, fontSize: 13, scrollback: 10_000 };

/**
 * A page with nothing but xterm.js (its script and CSS from node_modules) and
 * an empty element for it, in a fresh context of `browser`; at `url` when
 * given (the standard stack's own server), else a blank page.
 */
async function xtermPage(browser: Browser, url?: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  if (url) await page.goto(url);
  else await page.setContent(SCREEN_PAGE);
  await page.addStyleTag({ path: path.join(root, 'node_modules/@xterm/xterm/css/xterm.css') });
  await page.addScriptTag({ path: path.join(root, 'node_modules/@xterm/xterm/lib/xterm.js') });
  // tsx compiles the functions evaluated in the page with esbuild's keepNames, whose helper the page does not have.
  await page.evaluate('globalThis.__name = (f) => f');
  // countFrames() starts counting animation frames; the function it returns stops and gives the count.
  await page.evaluate(
    'globalThis.countFrames = () => { let n = 0, on = true; const tick = () => { n++; if (on) requestAnimationFrame(tick); }; requestAnimationFrame(tick); return () => { on = false; return n; }; }',
  );
  return page;
}

/**
 * xterm.js alone: `mb` MiB of printable lines (as the pty gives them: CRLF)
 * written from memory in a blank page, at most FLOW.highWater characters
 * queued in chunks of FLOW.chunkChars; seconds until the last write's
 * callback and the frame after it, and the bytes written as a file holds
 * them (LF, as `cat` reads them).
 */
async function xtermAlone(browser: Browser, size: { cols: number; rows: number }, mb: number): Promise<Reference & { bytes: number }> {
  const page = await xtermPage(browser);
  const cpu0 = cpuByRole(process.pid);
  const th0 = rendererThreads();
  const sched0 = rendererMainSched();
  try {
    const r = await page.evaluate(
      async ({ size, options, mb, chunk, window: queued }) => {
        const { Terminal: Xterm } = window as unknown as { Terminal: typeof Terminal };
        const term = new Xterm({ ...size, ...options });
        term.open(document.getElementById('screen')!);
        // One MiB of lines like the file's (76 printable characters), each ended as a pty ends it.
        const bytes = new Uint8Array(57);
        let block = '';
        let lines = 0;
        while (block.length - lines < 1 << 20) {
          crypto.getRandomValues(bytes);
          block += btoa(String.fromCharCode(...bytes)) + '\r\n';
          lines++;
        }
        const total = block.length * mb;
        await new Promise((r) => requestAnimationFrame(r));
        const t0 = performance.now();
        const frames = (window as unknown as { countFrames: () => () => number }).countFrames();
        await new Promise<void>((done) => {
          let sent = 0;
          let written = 0;
          const more = () => {
            while (sent < total && sent - written < queued) {
              const offset = sent % block.length;
              const piece = block.slice(offset, offset + Math.min(chunk, block.length - offset, total - sent));
              sent += piece.length;
              term.write(piece, () => {
                written += piece.length;
                if (written >= total) done();
                else more();
              });
            }
          };
          more();
        });
        await new Promise((r) => requestAnimationFrame(r));
        return { seconds: (performance.now() - t0) / 1000, frames: frames(), bytes: (block.length - lines) * mb };
      },
      { size, options: SCREEN_OPTIONS, mb, chunk: FLOW.chunkChars, window: FLOW.highWater },
    );
    return {
      ...r,
      cpu: `${cpuUsed(cpu0, cpuByRole(process.pid))}; the renderer's threads: ${cpuUsed(th0, rendererThreads())}; the page's main thread: ${mainThreadSpent(sched0)}`,
    };
  } finally {
    await page.context().close();
  }
}

/**
 * The standard web-terminal stack, as xterm.js's demo and its attach addon
 * build it: node-pty, a `ws` WebSocket server in the same Node process, and a
 * page whose socket writes each text message into xterm on the page's thread.
 * With the app's flow control (main/terminal/flow.ts, the same chunks,
 * window and acknowledgements) and the session's size; no API, no second
 * process, no app around the screen. Seconds from the command until the
 * page has written `chars` characters (the file with CRLF line ends, as the
 * pty gives them) and drawn the frame after.
 */
async function standardStack(browser: Browser, file: string, size: { cols: number; rows: number }, chars: number): Promise<Reference> {
  const pty = createRequire(import.meta.url)('node-pty') as typeof NodePty;
  const server = http.createServer((_req, res) => res.end(SCREEN_PAGE));
  const wss = new WebSocketServer({ server });
  const shells: IPty[] = [];
  wss.on('connection', (socket) => {
    // The shell stays after cat: node-pty drops what is still unread when the program ends.
    const shell = pty.spawn('/bin/sh', ['-c', `cat ${file}; sleep 600`], { ...size, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    shells.push(shell);
    const output = new SessionOutput((chunk) => socket.send(chunk), shell, FLOW);
    shell.onData((d) => output.push(d));
    let acked = 0;
    socket.on('message', (m) => {
      const offset = Number(String(m));
      output.ack(offset - acked);
      acked = offset;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const page = await xtermPage(browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const [cpu0, own0, th0, sched0] = [cpuByRole(process.pid), process.cpuUsage(), rendererThreads(), rendererMainSched()];
  try {
    const r = await page.evaluate(
      async ({ size, options, chars, ackChars }) => {
        const { Terminal: Xterm } = window as unknown as { Terminal: typeof Terminal };
        const term = new Xterm({ ...size, ...options });
        term.open(document.getElementById('screen')!);
        await new Promise((r) => requestAnimationFrame(r));
        const t0 = performance.now();
        const frames = (window as unknown as { countFrames: () => () => number }).countFrames();
        await new Promise<void>((done, fail) => {
          const socket = new WebSocket(`ws://${location.host}/`);
          let written = 0;
          let acked = 0;
          socket.onerror = () => fail(new Error('the WebSocket failed'));
          socket.onmessage = (m: MessageEvent<string>) => {
            const n = m.data.length;
            term.write(m.data, () => {
              written += n;
              if (written - acked >= ackChars) socket.send(String((acked = written)));
              if (written >= chars) done();
            });
          };
        });
        await new Promise((r) => requestAnimationFrame(r));
        return { seconds: (performance.now() - t0) / 1000, frames: frames() };
      },
      { size, options: SCREEN_OPTIONS, chars, ackChars: ACK_CHARS },
    );
    const own = process.cpuUsage(own0);
    return {
      ...r,
      cpu: `${cpuUsed(cpu0, cpuByRole(process.pid), { role: 'bench (pty + ws server)', seconds: (own.user + own.system) / 1e6 })}; the renderer's threads: ${cpuUsed(th0, rendererThreads())}; the page's main thread: ${mainThreadSpent(sched0)}`,
    };
  } finally {
    await page.context().close();
    for (const shell of shells) shell.kill();
    wss.close();
    server.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-term-'));
  const home = path.join(dir, 'home');
  const { file, bytes, lines } = makeFile(dir);
  const chromium = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`terminal: cat of ${(bytes / 1e6).toFixed(0)} MB of printable lines through the whole terminal to the screen, ${chromium}, headless, 1400×900`);
  console.log(`  2 cores; load average ${os.loadavg()[0]!.toFixed(2)} before`);

  const ptySeconds = [plainPty(file), plainPty(file)].sort((a, b) => a - b)[0]!;
  const host = await startHostProcess(home);
  let browser: Browser | null = null;
  try {
    const { client, ws } = await connectClient(host);
    const session = await client.terminal.open({ kind: 'local', shell: '/bin/bash', cols: 160, rows: 45 });
    // Opened before the page loads: the window learns of sessions when it lists them.
    const second = await client.terminal.open({ kind: 'local', shell: '/bin/sh' });
    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' })).newPage();
    await page.addInitScript(MEASURE);
    await page.goto(`${host.openUrl}#/terminal/${session.id}`);
    await page.locator('.xterm').first().waitFor({ timeout: 60_000 });
    await sleep(1500);
    const renderer = (await page.locator('body').textContent())?.match(/(DOM|WebGL) renderer/)?.[0] ?? 'unknown renderer';
    await page.getByTestId(`terminal-tab-${session.id}`).click({ timeout: 30_000 });
    await sleep(1000);

    const marker = `END-${Date.now() % 100000}`;
    const [a, b] = [marker.slice(0, 4), marker.slice(4)];
    const windowStart = await page.evaluate(() => performance.now());
    // Each time xterm draws the session's rows (its DOM renderer replaces them): the screen's own frame rate.
    await page
      .getByTestId(`terminal-view-${session.id}`)
      .locator('.xterm-rows')
      .evaluate((rows) => {
        const b = (window as unknown as { __efTerm: { draws: number } }).__efTerm;
        b.draws = 0;
        new MutationObserver(() => b.draws++).observe(rows, { childList: true, subtree: true, characterData: true });
      });
    // BENCH_TERM_THROTTLE=N: the page's CPU slowed N times by Chromium (DevTools' CPU throttling), as on a slower machine.
    const throttle = Number(process.env.BENCH_TERM_THROTTLE ?? 1);
    if (throttle > 1) await (await page.context().newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: throttle });
    // BENCH_TERM_PROFILE=FILE: the page's CPU profile while the flood runs (DevTools' .cpuprofile).
    const profiler = process.env.BENCH_TERM_PROFILE ? await page.context().newCDPSession(page) : null;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    // BENCH_TERM_TRACE=FILE: a Chromium trace (devtools.timeline) of the same window, for style, layout and paint times.
    if (process.env.BENCH_TERM_TRACE)
      await browser.startTracing(page, {
        path: process.env.BENCH_TERM_TRACE,
        categories: (process.env.BENCH_TERM_TRACE_CATS ?? 'devtools.timeline,disabled-by-default-devtools.timeline').split(','),
      });
    const cpu0 = cpuByRole(process.pid);
    const th0 = rendererThreads();
    const sched0 = rendererMainSched();
    const t0 = process.hrtime.bigint();
    // The marker is printed by the shell, split in the command so that the echoed command line does not contain it.
    await client.terminal.write({ id: session.id, data: `cat ${file}; echo ${a}""${b}\r` });
    // While it runs: a click on the other session's tab, timed (Playwright's click: the tab must be there and take it).
    await sleep(2000);
    const c0 = Date.now();
    await page.getByTestId(`terminal-tab-${second.id}`).click({ timeout: 30_000 });
    const clickMs = Date.now() - c0;
    await page.getByTestId(`terminal-tab-${session.id}`).click({ timeout: 30_000 });
    // Done when the session's output has passed the file and the marker is on the screen. The page is asked only once
    // the station has sent it all: asking it during the flood (Playwright's selector engine in the page, ten times a
    // second) is work the page under measurement would not otherwise do, and that the references do not do. The station
    // is asked four times a second, not twenty: each question is a round trip through the host and the native worker,
    // on the cores the flood runs on (at 50 ms: 12.6–14.5 MB/s, at 250 ms: 14.0–14.9, three alternated pairs). The
    // page can be a flow window (about 200 ms of output) behind the station's offset anyway: the end is seen at most
    // 250 ms later, and mostly not later at all.
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const s = (await client.terminal.sessions()).find((x) => x.id === session.id)!;
      if (s.offset >= bytes) break;
      if (Date.now() > deadline) throw new Error('the output never passed the file');
      await sleep(250);
    }
    while (!(await page.locator('.xterm-rows').first().textContent())?.includes(marker)) {
      if (Date.now() > deadline) throw new Error('the marker never reached the screen');
      await sleep(20);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = cpuByRole(process.pid);
    const th1 = rendererThreads();
    const spent = mainThreadSpent(sched0);
    if (process.env.BENCH_TERM_TRACE) await browser.stopTracing();
    if (profiler) fs.writeFileSync(process.env.BENCH_TERM_PROFILE!, JSON.stringify((await profiler.send('Profiler.stop')).profile));
    const figures = (await page.evaluate(
      () => (window as unknown as { __efTerm: { longtasks: { start: number; duration: number }[]; frames: [number, number][]; draws: number } }).__efTerm,
    )) as {
      longtasks: { start: number; duration: number }[];
      frames: [number, number][];
      draws: number;
    };
    // What the screen's pacer fast-forwarded (plain text that could not stay in the buffer: never parsed by xterm).
    const skipped = await page.evaluate(() =>
      [...document.querySelectorAll('[data-fast-forwarded]')].reduce((n, el) => n + Number(el.getAttribute('data-fast-forwarded')), 0),
    );
    const inWindow = <T extends { start: number }>(xs: T[]) => xs.filter((x) => x.start >= windowStart);
    const long = inWindow(figures.longtasks);
    const frames = figures.frames.filter(([t]) => t >= windowStart).map(([, d]) => d);
    const mbps = bytes / 1e6 / seconds;
    const ptyMbps = bytes / 1e6 / ptySeconds;
    console.log(
      `  EdgeForge (${renderer}${throttle > 1 ? `, the page's CPU slowed ${throttle} times` : ''}): ${seconds.toFixed(2)} s, ${mbps.toFixed(1)} MB/s (goal ≥ 20 MB/s)`,
    );
    console.log(
      `    fast-forwarded: ${(skipped / 1e6).toFixed(1)} MB of ${(bytes / 1e6).toFixed(0)} (${((100 * skipped) / bytes).toFixed(0)} %: lines that could only have scrolled out of the scrollback, never given to xterm)`,
    );
    console.log(
      `  plain pty (script -qfc cat, nothing drawing): ${ptySeconds.toFixed(2)} s, ${ptyMbps.toFixed(1)} MB/s; ratio EdgeForge/plain pty ${(mbps / ptyMbps).toFixed(2)}`,
    );
    console.log(
      `  while it ran: ${long.length} long tasks ≥ 50 ms, longest ${Math.round(Math.max(0, ...long.map((l) => l.duration)))} ms; frames ${frames.length} (${(frames.length / seconds).toFixed(1)}/s), p50 ${pct(frames, 50).toFixed(1)} ms, p95 ${pct(frames, 95).toFixed(1)} ms, max ${Math.round(Math.max(0, ...frames))} ms; the screen drawn ${figures.draws} times (${(figures.draws / seconds).toFixed(1)}/s); a click on the other tab took ${clickMs} ms`,
    );
    console.log(`  CPU seconds meanwhile, by process (${seconds.toFixed(1)} s of wall clock, 2 cores): ${cpuUsed(cpu0, cpu1)}`);
    console.log(`    the renderer's threads: ${cpuUsed(th0, th1)}`);
    console.log(`    the page's main thread: ${spent}`);
    const { cols, rows } = (await client.terminal.sessions()).find((x) => x.id === session.id)!;
    ws.close();
    // The app's page is closed before the references run: left open, it used 0.5–0.7 CPU s of its own meanwhile.
    await page.context().close();
    await host.stop();
    // BENCH_TERM_REFERENCES=0: EdgeForge only (for alternated runs of two builds; the references take twice as long).
    if (process.env.BENCH_TERM_REFERENCES === '0') return;
    // The standard stack (node-pty, ws, xterm in a page) on the same file, at the session's size.
    const standard = await standardStack(browser, file, { cols, rows }, bytes + lines);
    const standardMbps = bytes / 1e6 / standard.seconds;
    console.log(
      `  standard stack (node-pty → ws → xterm.js in a page, as xterm.js's demo and attach addon; the app's flow control; ${cols}×${rows}): ${standard.seconds.toFixed(2)} s, ${standardMbps.toFixed(1)} MB/s; ratio EdgeForge/standard stack ${(mbps / standardMbps).toFixed(2)}`,
    );
    console.log(`    frames ${standard.frames} (${(standard.frames / standard.seconds).toFixed(1)}/s); CPU seconds meanwhile: ${standard.cpu}`);
    // The ceiling: xterm alone in the same browser, at the session's size, on the same amount of lines.
    const alone = await xtermAlone(browser, { cols, rows }, MB);
    const aloneMbps = alone.bytes / 1e6 / alone.seconds;
    console.log(
      `  xterm.js alone (the same Chromium, ${cols}×${rows}, fed from memory in a blank page, the app's chunks and window, no pty, processes or WebSocket): ${alone.seconds.toFixed(2)} s, ${aloneMbps.toFixed(1)} MB/s; ratio EdgeForge/xterm alone ${(mbps / aloneMbps).toFixed(2)}`,
    );
    console.log(`    frames ${alone.frames} (${(alone.frames / alone.seconds).toFixed(1)}/s); CPU seconds meanwhile: ${alone.cpu}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await host.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const benchTerminal = childBench('terminal', import.meta.url, main);
