/** What the benchmarks share: timing a command under GNU time for its peak RSS. */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const cli = path.join(root, 'bin', 'edgeforge.js');
const GNU_TIME = '/usr/bin/time';

export interface Run {
  seconds: number;
  maxRssKiB: number;
  stdout: string;
}

export function preflight(): void {
  if (!fs.existsSync(GNU_TIME)) {
    console.error('bench needs GNU time at /usr/bin/time (Debian package "time").');
    process.exit(2);
  }
  if (!fs.existsSync(path.join(root, 'dist', 'main', 'cli.js'))) {
    console.error('Run "npm run build" first.');
    process.exit(2);
  }
}

export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(GNU_TIME, ['-f', '%M', cmd, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const maxRssKiB = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, maxRssKiB, stdout: r.stdout };
}

export function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

export const mib = (kib: number) => (kib / 1024).toFixed(1);

/**
 * A browser benchmark runs in a child process of its own (bench/run.ts calls
 * benches synchronously, and these are async), optionally under `flock
 * lock` so that no lab QEMU shares the cores with the measurement. Returns
 * the function bench/run.ts calls; when the file is run directly it runs
 * too, and in the child `main` runs.
 */
export function childBench(name: string, moduleUrl: string, main: () => Promise<void>, lock?: string): () => void {
  const flag = `EDGEFORGE_BENCH_CHILD_${name.toUpperCase().replace(/[^A-Z]/g, '_')}`;
  const file = new URL(moduleUrl).pathname;
  const start = () => {
    const env = { ...process.env, [flag]: '1' };
    const node = [process.execPath, '--import', 'tsx', file];
    const r = lock ? spawnSync('flock', [lock, ...node], { stdio: 'inherit', env }) : spawnSync(node[0]!, node.slice(1), { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`bench ${name} failed (exit ${r.status})`);
  };
  if (process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href) {
    if (process.env[flag] !== '1') start();
    else
      main().then(
        () => process.exit(0),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
  }
  return start;
}
