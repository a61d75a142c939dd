/**
 * sftp: SFTP upload to a QEMU lab box, EdgeForge's `SshShell.upload` (ssh2,
 * 64 requests of 32 KiB in flight, then the box's own sha256sum of the copy)
 * against OpenSSH's `scp` to the same sshd, in the same run. OpenSSH 9's scp
 * speaks SFTP (also 64 requests of 32 KiB in flight by default).
 *
 * One lab box (1 vCPU, 1024 MiB, TCG) is booted under the lab lock; a file of
 * BENCH_SFTP_MB (default 256) random MiB goes to /var/tmp on it,
 * BENCH_SFTP_ROUNDS (default 3) rounds each, the order rotating every round,
 * and the copies are deleted (and the box's page cache written back) between
 * transfers. The variants:
 *
 *   - EdgeForge: connect + the resume check + the SFTP writes until the last
 *     is acknowledged ("transfer", the figure compared with scp), then the
 *     box's sha256sum of the copy and the rename into place ("verify"),
 *     reported apart; "end to end" is both;
 *   - scp: the whole `scp` process (connect, auth, SFTP, close), the cipher
 *     it negotiates by default;
 *   - scp -c <EdgeForge's cipher>: scp held to the cipher ssh2 negotiated;
 *   - EdgeForge with scp's cipher first in ssh2's list (a bench-side ssh2
 *     setting; the product offers none), so that the cipher and the
 *     implementation can be told apart both ways.
 *
 * ssh2 puts AES-GCM first when the station's CPU has AES instructions;
 * OpenSSH puts chacha20-poly1305 first. The box is a TCG guest: its one
 * emulated CPU (no AES instructions) decrypts every byte and runs sshd, so
 * it, not the link or the station, bounds both sides, and the cipher
 * weighs heavily.
 *
 * Run: `npm run bench -- sftp`, or `node --import tsx bench/sftp.ts`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, type ConnectConfig } from 'ssh2';
import { KnownHosts, provisionSchema, sha256File, SshShell } from '../main/provision';
import { Store } from '../main/store';
import { boxImageHash, cacheRoot, ensureBoxImage } from '../test/lab/cache';
import { Lab, type Box } from '../test/lab/lab';

const LAB_LOCK = '/tmp/edgeforge-lab.lock';
const self = fileURLToPath(import.meta.url);
const REMOTE_DIR = '/var/tmp';

interface Ours {
  cipher: string;
  connect: number;
  /** From connect until the last SFTP write is acknowledged. */
  transfer: number;
  /** From connect to the first progress report: the check for a copy already there, SFTP's start, the check for a partial one. */
  prep: number;
  /** The SFTP writes alone: first progress report to the last acknowledgement. */
  data: number;
  /** The box's sha256sum of the copy, and the rename into place. */
  verify: number;
}

interface Scp {
  seconds: number;
  cipher: string;
  sftp: boolean;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** What ssh2 negotiated on each connection (its 'handshake' event), in order. */
const negotiated: string[] = [];
/** When set, put first in ssh2's cipher list (a bench-side setting: the product offers none). */
let cipherFirst: string | null = null;
function watchHandshakes(): void {
  const connect = Client.prototype.connect;
  Client.prototype.connect = function (this: Client, config: ConnectConfig) {
    this.once('handshake', (n) => negotiated.push(n.cs.cipher + (n.cs.mac ? ` + ${n.cs.mac}` : '')));
    // 'remove' then 'prepend' (in this order): ssh2 does not move an algorithm that is already in its list.
    if (cipherFirst) config = { ...config, algorithms: { ...config.algorithms, cipher: { remove: cipherFirst, prepend: cipherFirst } as never } };
    return connect.call(this, config);
  };
}

async function ours(box: Box, key: string, knownHosts: KnownHosts, file: string, sha256: string, first_: string | null): Promise<Ours> {
  cipherFirst = first_;
  const t0 = now();
  const shell = await SshShell.connect({ host: '127.0.0.1', port: box.sshPort, username: 'root', privateKey: key }, { knownHosts }).finally(
    () => (cipherFirst = null),
  );
  const t1 = now();
  const cipher = negotiated.at(-1)!;
  let first = 0;
  let acked = 0;
  try {
    await shell.upload(file, `${REMOTE_DIR}/ef.bin`, {
      sha256,
      onProgress: (done, total) => {
        first ||= now();
        if (done === total && !acked) acked = now();
      },
    });
  } finally {
    await shell.close();
  }
  const t4 = now();
  if (!acked) throw new Error('the upload never reported its last byte');
  return { cipher, connect: t1 - t0, prep: first - t1, transfer: acked - t0, data: acked - first, verify: t4 - acked };
}

function scp(box: Box, keyFile: string, file: string, cipher: string | null): Promise<Scp> {
  const args = [
    '-v',
    '-P',
    String(box.sshPort),
    '-i',
    keyFile,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    ...(cipher ? ['-c', cipher] : []),
    file,
    `root@127.0.0.1:${REMOTE_DIR}/scp.bin`,
  ];
  return new Promise((resolve, reject) => {
    const t0 = now();
    const p = spawn('scp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      const seconds = now() - t0;
      if (code !== 0) return reject(new Error(`scp exited ${code}: ${err.split('\n').slice(-5).join('\n')}`));
      const m = /kex: client->server cipher: (\S+) MAC: (\S+)/.exec(err);
      resolve({
        seconds,
        cipher: m ? m[1]! + (m[2] === '<implicit>' ? '' : ` + ${m[2]}`) : 'unknown',
        sftp: /Sending subsystem: sftp/.test(err),
      });
    });
  });
}

async function clean(box: Box): Promise<void> {
  const r = await box.ssh(`rm -f ${REMOTE_DIR}/ef.bin ${REMOTE_DIR}/ef.bin.part ${REMOTE_DIR}/scp.bin && sync`, {}, 120_000);
  if (r.code !== 0) throw new Error(`cleaning the box failed: ${r.stderr}`);
}

async function remoteSize(box: Box, name: string): Promise<number> {
  const r = await box.ssh(`stat -c %s ${REMOTE_DIR}/${name}`);
  return Number(r.stdout.trim());
}

/** Runs with the lab lock held. */
async function main(): Promise<void> {
  const MB = Number(process.env.BENCH_SFTP_MB ?? 256);
  const ROUNDS = Number(process.env.BENCH_SFTP_ROUNDS ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeforge-bench-sftp-'));
  const image = ensureBoxImage();
  const lab = await Lab.create(image);
  try {
    const file = path.join(dir, 'payload.bin');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < MB; i++) fs.writeSync(fd, randomBytes(1048576));
    fs.closeSync(fd);
    const bytes = fs.statSync(file).size;
    // The flash job knows the bundle's sha256 from the run; so does this.
    const sha256 = await sha256File(file);
    const keyFile = path.join(dir, 'lab_ed25519');
    fs.copyFileSync(image.key, keyFile);
    fs.chmodSync(keyFile, 0o600);
    const key = fs.readFileSync(keyFile, 'utf8');
    const knownHosts = new KnownHosts(Store.open(path.join(dir, 'station.db'), [provisionSchema]).db);
    watchHandshakes();

    const bootStart = now();
    const box = await lab.start({ name: 'benchsftp', memoryMiB: 1024 });
    await box.waitReady(180_000);
    const df = await box.ssh(`df -Pk ${REMOTE_DIR} | tail -1`);
    const freeKiB = Number(df.stdout.trim().split(/\s+/)[3]);
    if (freeKiB < (bytes / 1024) * 1.1) throw new Error(`only ${freeKiB} KiB free in ${REMOTE_DIR} on the box`);
    const version = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
    const guestAes = (await box.ssh('grep -m1 -c -w aes /proc/cpuinfo || true')).stdout.trim() === '1';
    console.log(
      `sftp: ${MB} MiB of random data to ${REMOTE_DIR} on a QEMU lab box (1 vCPU, 1024 MiB, TCG, ${guestAes ? 'with' : 'without'} AES instructions; ready in ${(now() - bootStart).toFixed(0)} s)`,
    );
    console.log(`  ${ROUNDS} rounds, order rotating; copies deleted and the box's cache written back between transfers; ${version}`);

    // A first connection each way, untimed: the box's host key trusted on first use, as the station does; and the ciphers each side picks.
    await (await SshShell.connect({ host: '127.0.0.1', port: box.sshPort, username: 'root', privateKey: key }, { knownHosts })).close();
    const efCipher = negotiated.at(-1)!.split(' ')[0]!;
    const probe = spawnSync(
      'ssh',
      [
        '-v',
        '-p',
        String(box.sshPort),
        '-i',
        keyFile,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        'root@127.0.0.1',
        'true',
      ],
      { encoding: 'utf8' },
    );
    const scpCipher = /kex: client->server cipher: (\S+)/.exec(probe.stderr)?.[1];
    if (!scpCipher) throw new Error(`ssh -v did not say its cipher: ${probe.stderr.slice(-500)}`);

    const runs: Record<'ef' | 'efScpCipher', Ours[]> & Record<'scp' | 'scpEfCipher', Scp[]> = { ef: [], efScpCipher: [], scp: [], scpEfCipher: [] };
    const check = async (name: string, what: string) => {
      if ((await remoteSize(box, name)) !== bytes) throw new Error(`the ${what} copy has the wrong size`);
    };
    const variants = [
      async () => {
        runs.ef.push(await ours(box, key, knownHosts, file, sha256, null));
        await check('ef.bin', 'EdgeForge');
      },
      async () => {
        runs.scp.push(await scp(box, keyFile, file, null));
        await check('scp.bin', 'scp');
      },
      async () => {
        runs.scpEfCipher.push(await scp(box, keyFile, file, efCipher));
        await check('scp.bin', 'scp -c');
      },
      async () => {
        runs.efScpCipher.push(await ours(box, key, knownHosts, file, sha256, scpCipher));
        await check('ef.bin', 'EdgeForge (scp cipher)');
      },
    ];
    const short = (c: string) => c.replace(/@openssh\.com$/, '');
    const mibs = (s: number) => `${(bytes / 1048576 / s).toFixed(1)} MiB/s`;
    const oursLine = (o: Ours) =>
      `transfer ${o.transfer.toFixed(2)} s (${mibs(o.transfer)}; connect ${o.connect.toFixed(2)} s, checks ${o.prep.toFixed(2)} s, writes ${o.data.toFixed(2)} s) + verify ${o.verify.toFixed(2)} s, ${o.cipher}`;
    await clean(box);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < variants.length; k++) {
        await variants[(round + k) % variants.length]!();
        await clean(box);
      }
      console.log(`  round ${round + 1}:`);
      const labelled = (label: string) => `    ${label.padEnd(36)}`;
      console.log(`${labelled('EdgeForge')}${oursLine(runs.ef.at(-1)!)}`);
      console.log(`${labelled(`EdgeForge, ${short(scpCipher)} first`)}${oursLine(runs.efScpCipher.at(-1)!)}`);
      for (const [label, r] of [
        ['scp', runs.scp.at(-1)!],
        [`scp -c ${short(efCipher)}`, runs.scpEfCipher.at(-1)!],
      ] as const)
        console.log(`${labelled(label)}${r.seconds.toFixed(2)} s (${mibs(r.seconds)}), ${r.cipher}${r.sftp ? ', SFTP protocol' : ', NOT the SFTP protocol'}`);
    }

    const rate = (s: number) => mibs(s).padStart(11);
    const med = (xs: Ours[], f: (o: Ours) => number) => median(xs.map(f));
    const m = {
      transfer: med(runs.ef, (o) => o.transfer),
      data: med(runs.ef, (o) => o.data),
      connect: med(runs.ef, (o) => o.connect),
      prep: med(runs.ef, (o) => o.prep),
      verify: med(runs.ef, (o) => o.verify),
      e2e: med(runs.ef, (o) => o.transfer + o.verify),
      chacha: med(runs.efScpCipher, (o) => o.transfer),
      scp: median(runs.scp.map((s) => s.seconds)),
      same: median(runs.scpEfCipher.map((s) => s.seconds)),
    };
    const row = (label: string, seconds: number, withRate: boolean, note: string) =>
      console.log(`    ${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s ${withRate ? rate(seconds) : ' '.repeat(11)}   ${note}`);
    console.log(`  medians of ${ROUNDS}:`);
    row(
      'EdgeForge transfer',
      m.transfer,
      true,
      `${efCipher} (ssh2's choice); connect ${m.connect.toFixed(2)} s, checks ${m.prep.toFixed(2)} s, SFTP writes ${m.data.toFixed(2)} s (${mibs(m.data)})`,
    );
    row('EdgeForge verify', m.verify, false, "the box's sha256sum of the copy, and the rename");
    row('EdgeForge end to end', m.e2e, true, 'transfer + verify');
    row(`EdgeForge transfer, ${short(scpCipher)} first`, m.chacha, true, 'bench-side ssh2 setting; the product offers none');
    row('scp', m.scp, true, `${scpCipher} (OpenSSH's choice); SFTP protocol: ${runs.scp.every((s) => s.sftp) ? 'yes' : 'NO'}`);
    row(`scp -c ${short(efCipher)}`, m.same, true, "held to ssh2's cipher");
    console.log(`  throughput ratio EdgeForge/scp, transfer vs scp as each ships (the figure that counts; goal ≥ 0.9): ${(m.scp / m.transfer).toFixed(2)}`);
    console.log(
      `  at the same cipher: ${efCipher} ${(m.same / m.transfer).toFixed(2)}, ${scpCipher} ${(m.scp / m.chacha).toFixed(2)}; end to end (with the sha256 check) vs scp: ${(m.scp / m.e2e).toFixed(2)}`,
    );
    console.log(
      `  (a TCG guest: the box’s one emulated CPU${guestAes ? '' : ', without AES instructions,'} decrypts every byte and runs sshd; it bounds both)`,
    );
  } finally {
    await lab.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * For bench/run.ts, and when run directly: the lab box is booted only with
 * the lab lock held, in a child process (which also keeps this synchronous
 * to the caller).
 */
export function benchSftp(): void {
  if (!fs.existsSync(path.join(cacheRoot(), `box-${boxImageHash()}`, '.complete'))) {
    console.log('sftp: skipped (no cached lab image; `npx tsx test/lab/build.ts` builds one)');
    return;
  }
  const r = spawnSync('flock', [LAB_LOCK, process.execPath, '--import', 'tsx', self], {
    stdio: 'inherit',
    env: { ...process.env, EDGEFORGE_BENCH_LAB_LOCKED: '1' },
  });
  if (r.status !== 0) throw new Error(`bench sftp failed (exit ${r.status})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.env.EDGEFORGE_BENCH_LAB_LOCKED !== '1') benchSftp();
  else {
    // Interrupted: exit, so that the lab's exit hook kills the box's QEMU.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    main().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  }
}
