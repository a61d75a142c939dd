/**
 * hash: the diagnostic job (`edgeforge jobs hash`) against GNU sha256sum on the
 * same file. BENCH_MB sets the size (default 512), BENCH_ROUNDS the rounds (3).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { best, cli, measure, mib, type Run } from './common';

export function benchHash(): void {
  const MB = Number(process.env.BENCH_MB ?? 512);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-'));
  try {
    const file = path.join(dir, 'payload.bin');
    execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${MB}`, 'status=none']);
    execFileSync('cat', [file], { stdio: 'ignore', maxBuffer: Infinity });
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
    console.log(`hash ${MB} MiB (best of ${ROUNDS}; edgeforge includes Node start-up and opening its database)`);
    console.log(`  sha256sum         ${g.seconds.toFixed(2)} s  peak RSS ${mib(g.maxRssKiB)} MiB`);
    console.log(`  edgeforge hash    ${o.seconds.toFixed(2)} s  peak RSS ${mib(o.maxRssKiB)} MiB`);
    console.log(`  time ratio edgeforge/sha256sum: ${(o.seconds / g.seconds).toFixed(2)}; peak RSS ratio: ${(o.maxRssKiB / g.maxRssKiB).toFixed(1)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
