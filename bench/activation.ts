/**
 * activation: 10,000 activations of distinct boxes on one batch of 10,000
 * seats, in one station process (reserve → sign → spend, each a durable
 * SQLite transaction). Then the count is confirmed: every seat spent exactly
 * once, by a distinct box, the log's chain and replay intact, and every
 * certificate's signature checked. The reference is the raw ECDSA P-256 sign
 * rate of `openssl speed` on the same machine (one activation signs once).
 * BENCH_ACTIVATIONS sets the count.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeRequest, StationKeys } from '../main/licensing';
import { NativeHost } from '../main/native';
import { openRuntime } from '../main/runtime';

export function benchActivation(): void {
  const N = Number(process.env.BENCH_ACTIVATIONS ?? 10000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-'));
  try {
    const rt = openRuntime({
      home: dir,
      native: new NativeHost('child-process', () => {
        throw new Error('not used');
      }),
      mode: 'owner',
      version: 'bench',
      shell: 'cli',
      osLocale: 'en',
      passphrase: 'bench station passphrase',
    });
    const batch = `bat_${randomBytes(8).toString('hex')}`;
    const license = JSON.stringify({ batch, quantity: N }) + '\n';
    rt.activation.registerOwn({ id: batch, label: 'bench', quantity: N, serialPrefix: 'B-', serialDigits: 6, license, keyId: rt.keys.current().id });
    const requests = Array.from({ length: N }, () =>
      encodeRequest({
        batch,
        nonce: randomBytes(4).toString('hex'),
        fingerprint: [0, 1, 2, 3].map(() => randomBytes(4).toString('hex')),
        machineId: randomBytes(4).toString('hex'),
      }),
    );
    const t0 = process.hrtime.bigint();
    const seats = new Set<number>();
    for (const r of requests) seats.add(rt.activation.activate(r).seat);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // Confirm, from the store, not from what the loop saw.
    const ledger = rt.activation.ledger;
    const counts = ledger.counts(batch);
    const verdict = ledger.verify();
    const key = rt.keys.current();
    let signaturesOk = 0;
    const fps = new Set<string>();
    for (let off = 0; off < N; off += 1000)
      for (const s of ledger.seats(batch, { state: 'spent', offset: off, limit: 1000 })) {
        if (StationKeys.verifyCompact(key.publicKeyHex, 'edgeforge.activation.certificate.v1', Buffer.from(s.certificate!), s.signature!)) signaturesOk++;
        fps.add(s.fingerprintId!);
      }
    const exactlyOnce = counts.spent === N && seats.size === N && fps.size === N && signaturesOk === N && verdict.ok && counts.reserved === 0;
    const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'ecdsap256'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)/.exec(speed);
    const opensslSignPerSec = m ? Number(m[1]) : NaN;
    const rate = N / seconds;
    console.log(`activation: ${N} boxes on one batch of ${N} seats (durable SQLite transactions, synchronous=FULL)`);
    console.log(`  time                ${seconds.toFixed(2)} s  (${rate.toFixed(0)} activations/s, ${((1000 * seconds) / N).toFixed(2)} ms each)`);
    console.log(
      `  exactly once        ${exactlyOnce ? 'confirmed' : 'NOT CONFIRMED'}: ${counts.spent} seats spent, ${seats.size} distinct seats, ${fps.size} distinct boxes, ${signaturesOk} signatures valid, ${verdict.events} events chained${verdict.ok ? '' : ` — ${verdict.problems.length} problems`}`,
    );
    console.log(`  openssl speed       ${opensslSignPerSec.toFixed(0)} ECDSA P-256 signs/s`);
    console.log(`  ratio               ${(rate / opensslSignPerSec).toFixed(3)} of openssl's raw signing rate`);
    void rt.close();
    if (!exactlyOnce) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
