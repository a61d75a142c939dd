/**
 * Exactly once, with real processes: 50 CLI processes activating at once
 * against 10 seats, and workers killed with SIGKILL at random points over
 * many trials (DESIGN.md §3: a seat is spent exactly once).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { NativeHost } from '../../main/native';
import { openRuntime, type Runtime } from '../../main/runtime';
import { parseCertificateText } from '../../main/licensing/certificate';
import { cliPath, repoRoot, tempDir } from '../support/tmp';
import { box, codeOf, registerTestBatch, type TestBox } from './boxes';

const workerFile = path.join(repoRoot, 'node_modules', '.cache', 'edgeforge-test', 'activation-worker.mjs');

beforeAll(async () => {
  // The worker as one file, so 50 of them start in a blink (no TypeScript loader per process).
  await build({
    entryPoints: [path.join(repoRoot, 'test', 'licensing', 'activation-worker.ts')],
    outfile: workerFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}, 60_000);

function openHome(home: string): Runtime {
  return openRuntime({
    home,
    native: new NativeHost('child-process', () => {
      throw new Error('not used');
    }),
    mode: 'reader',
    version: 'test',
    shell: 'cli',
    osLocale: 'en',
  });
}

function stationWithBatch(quantity: number): { home: string; batch: string } {
  const home = tempDir();
  const rt = openHome(home);
  const batch = `bat_${'0123456789abcdef'}`;
  registerTestBatch(rt.activation, rt.keys.current().id, batch, quantity);
  void rt.close();
  return { home, batch };
}

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ReturnType<typeof spawn>; done: Promise<Done> } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.resume();
  const done = new Promise<Done>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
  return { child, done };
}

describe('exactly once, across processes', () => {
  it('50 edgeforge processes activating 50 boxes at once against 10 seats: exactly 10 succeed, on 10 different seats; the others are told there is no seat', async () => {
    const { home, batch } = stationWithBatch(10);
    const boxes = Array.from({ length: 50 }, (_, i) => box(`box${i}`));
    const runs = boxes.map((b) => run(process.execPath, [cliPath, 'activate', '--request', codeOf(b, batch), '--json', '--no-qr'], { EDGEFORGE_HOME: home }));
    const results = await Promise.all(runs.map((r) => r.done));
    const ok = results.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout) as { seat: number; batchId: string });
    const refused = results.filter((r) => r.code !== 0).map((r) => (JSON.parse(r.stdout) as { error: { code: string } }).error.code);
    expect(ok).toHaveLength(10);
    expect(new Set(ok.map((a) => a.seat))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(refused).toEqual(Array(40).fill('LEDGER_NO_SEAT'));
    const rt = openHome(home);
    expect(rt.activation.ledger.counts(batch)).toMatchObject({ spent: 10, reserved: 0, available: 0 });
    expect(rt.activation.ledger.verify()).toMatchObject({ ok: true, problems: [] });
    await rt.close();
  }, 180_000);

  it('workers killed with SIGKILL at random points over many trials lose and double no seat; reservations of dead processes are released at the next start', async () => {
    const quantity = 12;
    const { home, batch } = stationWithBatch(quantity);
    const out = tempDir();
    const pool: TestBox[] = Array.from({ length: 20 }, (_, i) => box(`pool${i}`));
    const trials = Number(process.env.EDGEFORGE_CRASH_TRIALS ?? 12);
    let killed = 0;
    let killedReserved = 0;
    for (let t = 0; t < trials; t++) {
      const go = path.join(out, `go-${t}`);
      const chosen = [...pool].sort(() => Math.random() - 0.5).slice(0, 8);
      const runs = chosen.map((b) => ({ b, ...run(process.execPath, [workerFile, home, codeOf(b, batch), b.name, out, go, '150']) }));
      // Once all have opened the store, start them together and kill half at random moments.
      const ready = (b: TestBox) => fs.existsSync(path.join(out, `${b.name}.ready`));
      for (let i = 0; i < 3000 && !chosen.every(ready); i++) await new Promise((r) => setTimeout(r, 10));
      fs.writeFileSync(go, '');
      const victims = runs.filter(() => Math.random() < 0.5);
      await Promise.all(
        victims.map(
          (v) =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                v.child.kill('SIGKILL');
                resolve();
              }, Math.random() * 200),
            ),
        ),
      );
      const done = await Promise.all(runs.map((r) => r.done));
      for (const b of chosen) fs.rmSync(path.join(out, `${b.name}.ready`), { force: true });
      killed += done.filter((d) => d.signal === 'SIGKILL').length;
      // What a crash left behind, before any recovery (a fresh process recovers on open, so read the file directly).
      const Database = (await import('better-sqlite3')).default;
      const raw = new Database(path.join(home, 'edgeforge.db'), { readonly: true });
      killedReserved += (raw.prepare("SELECT COUNT(*) AS n FROM licensing_seats WHERE state = 'reserved'").get() as { n: number }).n;
      raw.close();
    }
    expect(killed).toBeGreaterThan(trials * 2);

    // The next start resolves what the crashes left.
    const rt = openHome(home);
    const ledger = rt.activation.ledger;
    expect(ledger.counts(batch).reserved).toBe(0);
    expect(ledger.verify()).toMatchObject({ ok: true, problems: [] });
    const spent = ledger.seats(batch, { state: 'spent', limit: 1000 });
    expect(spent.length).toBeLessThanOrEqual(quantity);

    // Every reply a worker delivered names a seat the ledger holds for that very box: nothing doubled.
    const delivered = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(killedReserved).toBeGreaterThan(0);
    for (const f of delivered) {
      const d = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as { box: string; seat: number; certificate: string };
      const b = pool.find((p) => p.name === d.box)!;
      const row = ledger.seat(batch, d.seat)!;
      expect(row.state).toBe('spent');
      expect(parseCertificateText(d.certificate).fingerprint).toEqual(b.fingerprint);
      expect(row.fingerprintId).not.toBeNull();
    }
    // No box holds two seats, and every box asking again gets its own seat back (a seat spent for a killed worker is not lost).
    const seatOf = new Map<string, number>();
    for (const b of pool) {
      try {
        const a = rt.activation.activate(codeOf(b, batch));
        seatOf.set(b.name, a.seat);
      } catch (e) {
        expect((e as { code: string }).code).toBe('LEDGER_NO_SEAT');
      }
    }
    const seats = [...seatOf.values()];
    expect(new Set(seats).size).toBe(seats.length);
    expect(seats.length).toBe(Math.min(pool.length, quantity));
    for (const f of delivered) {
      const d = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as { box: string; seat: number };
      expect(seatOf.get(d.box)).toBe(d.seat);
    }
    expect(ledger.counts(batch)).toMatchObject({ spent: quantity, reserved: 0, available: 0 });
    expect(ledger.verify().ok).toBe(true);
    process.stdout.write(
      `crash trials: ${trials}, workers killed: ${killed}, reservations left by killed workers: ${killedReserved}, replies delivered: ${delivered.length}\n`,
    );
    await rt.close();
  }, 600_000);
});
