/**
 * `npm run bench`: EdgeForge against the standard tool, in the same run.
 *
 * hash: the diagnostic job (`edgeforge jobs hash`, the job engine's streaming
 * path) against GNU `sha256sum` on the same file. Prints wall time, peak RSS
 * (GNU time's %M) and the ratios. BENCH_MB sets the file size (default 512).
 * Not a test: it prints figures, it does not pass or fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MB = Number(process.env.BENCH_MB ?? 512);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'bin', 'edgeforge.js');
const GNU_TIME = '/usr/bin/time';

interface Run {
  seconds: number;
  maxRssKiB: number;
  stdout: string;
}

function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(GNU_TIME, ['-f', '%M', cmd, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const maxRssKiB = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, maxRssKiB, stdout: r.stdout };
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

if (!fs.existsSync(GNU_TIME)) {
  console.error('bench needs GNU time at /usr/bin/time (Debian package "time").');
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'dist', 'main', 'cli.js'))) {
  console.error('Run "npm run build" first.');
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-'));
try {
  const file = path.join(dir, 'payload.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${MB}`, 'status=none']);
  execFileSync('cat', [file], { stdio: 'ignore', maxBuffer: Infinity }); // warm the page cache for both
  const env = { ...process.env, EDGEFORGE_HOME: path.join(dir, 'home') };

  const gnu: Run[] = [];
  const ours: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    gnu.push(measure('sha256sum', [file]));
    ours.push(measure(process.execPath, [cli, 'jobs', 'hash', file], env));
  }
  const g = best(gnu);
  const o = best(ours);
  if (g.stdout.split(' ')[0] !== o.stdout.split(' ')[0]) throw new Error('digests differ');

  const mbps = (r: Run) => (MB / r.seconds).toFixed(0);
  console.log(`hash ${MB} MiB (best of ${ROUNDS}; edgeforge includes Node start-up and opening its database)`);
  console.log(`  sha256sum         ${g.seconds.toFixed(2)} s  ${mbps(g)} MiB/s  peak RSS ${(g.maxRssKiB / 1024).toFixed(1)} MiB`);
  console.log(`  edgeforge hash    ${o.seconds.toFixed(2)} s  ${mbps(o)} MiB/s  peak RSS ${(o.maxRssKiB / 1024).toFixed(1)} MiB`);
  console.log(`  time ratio edgeforge/sha256sum: ${(o.seconds / g.seconds).toFixed(2)}`);
  console.log(`  peak RSS ratio edgeforge/sha256sum: ${(o.maxRssKiB / g.maxRssKiB).toFixed(1)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
