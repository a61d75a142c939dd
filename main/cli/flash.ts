/**
 * `edgeforge flash`: the flashing station for unattended runs and scripted
 * factory lines (docs/cli.md, docs/flashing.md). It owns the data
 * directory while it runs; a run cut short (Ctrl+C, a kill, a power cut) is
 * picked up by `edgeforge flash --resume RUN`, or by the app's next start,
 * from each box's last completed step.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { FLASH_STEPS, FlashRunCreateSchema, type FlashBox, type FlashBoxInput, type FlashEvent, type FlashRun } from '../api/contract';
import { AppError } from '../api/errors';
import { inputInvalid } from '../api/validation';
import type { Runtime } from '../runtime';
import { ExitCode, formatBytes, printJson, say } from './output';

type Run = (p: Promise<number>, json: boolean) => void;
type WithRuntime = (mode: 'owner' | 'reader', fn: (rt: Runtime) => number | Promise<number>) => Promise<number>;

interface FlashOptions {
  ssh: string[];
  serial: string[];
  labelSerial: string[];
  user: string;
  passwordEnv: string;
  identity?: string;
  passphraseEnv?: string;
  sudoPasswordEnv?: string;
  legacyAlgorithms?: boolean;
  bootstrap?: string;
  join?: string;
  ha?: boolean;
  apiEndpoint?: string;
  parallel?: string;
  bundle?: string;
  resume?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function usage(en: string, zh: string, field: string): AppError {
  return new AppError('FLASH_USAGE_INVALID', { en, zh }, { field: [field] });
}

/** user@host[:port] → the target and its user name. */
function parseSsh(spec: string, defaultUser: string): { host: string; port: number; user: string } {
  const m = /^(?:([^@\s]+)@)?([^:@\s]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw usage(`--ssh ${spec}: write user@host or user@host:port.`, `--ssh ${spec}：请写成 user@host 或 user@host:port。`, 'ssh');
  return { user: m[1] ?? defaultUser, host: m[2]!, port: m[3] ? Number(m[3]) : 22 };
}

/** nic=eth0,address=10.0.0.5/24[,gateway=10.0.0.1][,ssh=host:port] */
function parseBootstrap(spec: string) {
  const kv = Object.fromEntries(spec.split(',').map((p) => p.split('=', 2) as [string, string]));
  if (!kv.nic || !kv.address)
    throw usage(
      `--bootstrap ${spec}: give at least nic=NAME,address=CIDR (e.g. nic=eth0,address=192.168.50.21/24).`,
      `--bootstrap ${spec}：至少需要 nic=网口,address=CIDR（例如 nic=eth0,address=192.168.50.21/24）。`,
      'bootstrap',
    );
  const ssh = kv.ssh ? /^([^:]+)(?::(\d+))?$/.exec(kv.ssh) : null;
  return { nic: kv.nic, address: kv.address, gateway: kv.gateway ?? null, sshHost: ssh?.[1] ?? null, sshPort: ssh?.[2] ? Number(ssh[2]) : 22 };
}

function envSecret(name: string | undefined, what: string): string | undefined {
  if (!name) return undefined;
  const v = process.env[name];
  if (v === undefined) throw usage(`${what}: the environment variable ${name} is not set.`, `${what}：环境变量 ${name} 未设置。`, what);
  return v;
}

function boxInputs(opts: FlashOptions): FlashBoxInput[] {
  const password = process.env[opts.passwordEnv];
  const privateKey = opts.identity ? fs.readFileSync(opts.identity, 'utf8') : undefined;
  const passphrase = envSecret(opts.passphraseEnv, '--passphrase-env');
  const sudoPassword = envSecret(opts.sudoPasswordEnv, '--sudo-password-env');
  const creds = (username: string) => ({
    username,
    ...(password !== undefined ? { password } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(sudoPassword !== undefined ? { sudoPassword } : {}),
  });
  const boxes: FlashBoxInput[] = [];
  for (const s of opts.ssh) {
    const t = parseSsh(s, opts.user);
    boxes.push({
      target: { transport: 'ssh', host: t.host, port: t.port, legacyAlgorithms: Boolean(opts.legacyAlgorithms) },
      credentials: creds(t.user),
      labelSerial: null,
      nodeName: null,
    } as FlashBoxInput);
  }
  for (const p of opts.serial)
    boxes.push({
      target: { transport: 'serial', path: p, bootstrap: opts.bootstrap ? parseBootstrap(opts.bootstrap) : null },
      credentials: creds(opts.user),
      labelSerial: null,
      nodeName: null,
    } as FlashBoxInput);
  if (opts.labelSerial.length > boxes.length)
    throw usage(
      `${opts.labelSerial.length} --label-serial values for ${boxes.length} boxes: give one per box, in the same order.`,
      `${opts.labelSerial.length} 个 --label-serial 值对应 ${boxes.length} 台设备：请按相同顺序每台设备给一个。`,
      'label-serial',
    );
  opts.labelSerial.forEach((s, i) => (boxes[i]!.labelSerial = s));
  return boxes;
}

function stepLine(b: FlashBox): string | null {
  const s = b.steps.find((x) => x.state === 'running') ?? [...b.steps].reverse().find((x) => x.state !== 'pending');
  if (!s) return null;
  const label = b.label.padEnd(24);
  if (s.state === 'failed') return `${label} ✗ ${s.step}: ${say(s.error?.message ?? { en: 'failed', zh: '失败' })}`;
  if (s.state === 'running') {
    const bytes = b.bytesTotal ? ` ${formatBytes(b.bytesDone)}/${formatBytes(b.bytesTotal)}` : '';
    return `${label} … ${s.step}${bytes}${s.note ? `  ${s.note}` : ''}`;
  }
  return `${label} ${s.state === 'done' ? '✓' : '–'} ${s.step}${s.note ? `  ${s.note}` : ''}`;
}

const TERMINAL = new Set(['succeeded', 'failed', 'skipped', 'cancelled', 'interrupted']);

async function watch(rt: Runtime, runId: string, json: boolean): Promise<number> {
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    rt.flash.cancelRun(runId);
  };
  process.once('SIGINT', onSigint);
  const last = new Map<string, string>();
  const print = (b: FlashBox) => {
    const line = stepLine(b);
    if (!line || json) return;
    // Byte counts change many times a second; print a box's line again only when its step or state moves.
    const key = `${b.state}|${b.steps.map((s) => s.state).join(',')}`;
    if (last.get(b.id) === key) return;
    last.set(b.id, key);
    process.stdout.write(`${line}\n`);
  };
  try {
    await new Promise<void>((resolve) => {
      const check = () => {
        const { boxes } = rt.flash.detail(runId);
        if (boxes.every((b) => TERMINAL.has(b.state))) {
          off();
          resolve();
        }
      };
      const off = rt.flash.subscribe((e: FlashEvent) => {
        if (e.type !== 'box' || e.box.runId !== runId) return;
        print(e.box);
        if (TERMINAL.has(e.box.state)) check();
      });
      for (const b of rt.flash.detail(runId).boxes) print(b);
      check();
    });
    const summary = rt.flash.summary(runId);
    if (json) printJson(summary);
    else {
      const r = summary.run;
      process.stdout.write(
        say({
          en: `\nRun ${r.id}: ${r.counts.succeeded ?? 0} of ${r.total} boxes flashed${summary.durationSeconds !== null ? ` in ${Math.round(summary.durationSeconds)} s` : ''}.\n`,
          zh: `\n刷机批次 ${r.id}：${r.total} 台设备中 ${r.counts.succeeded ?? 0} 台完成${summary.durationSeconds !== null ? `，用时 ${Math.round(summary.durationSeconds)} 秒` : ''}。\n`,
        }),
      );
      for (const a of summary.activated)
        process.stdout.write(`  ${a.label.padEnd(24)} seat ${String(a.seat).padStart(5)}  ${a.serial}${a.nodeName ? `  node ${a.nodeName}` : ''}\n`);
      for (const f of summary.failures) process.stdout.write(`  ${f.label.padEnd(24)} ✗ ${f.step ?? '-'}: ${say(f.message)}\n`);
    }
    if (interrupted) return ExitCode.INTERRUPTED;
    const all = rt.flash.run(runId);
    return all.counts.succeeded === all.total ? ExitCode.OK : ExitCode.FAILED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function addFlashCommands(program: Command, withRuntime: WithRuntime, run: Run): void {
  program
    .command('flash [batch]')
    .description('flash boxes over SSH or serial: probe, upload, verify, install, activate, join, ready')
    .option('--ssh <user@host[:port]>', 'a box reached over SSH (repeat for more boxes)', collect, [])
    .option('--serial <device>', 'a box reached on a serial console, e.g. /dev/ttyUSB0 (repeat)', collect, [])
    .option('--label-serial <serial>', 'the serial scanned off each box label, in the order of the boxes (repeat)', collect, [])
    .option('--user <name>', 'login user when a target names none', 'root')
    .option('--password-env <VAR>', 'environment variable holding the login (and sudo) password', 'EDGEFORGE_BOX_PASSWORD')
    .option('--identity <file>', 'private key file for SSH')
    .option('--passphrase-env <VAR>', "environment variable holding the key's passphrase")
    .option('--sudo-password-env <VAR>', 'environment variable holding the sudo password, when not the login password')
    .option('--legacy-algorithms', 'also offer old SSH algorithms (sha1 key exchange, ssh-rsa, CBC ciphers)')
    .option('--bootstrap <spec>', 'over serial, configure a NIC and start sshd first: nic=eth0,address=CIDR[,gateway=IP][,ssh=host:port]')
    .option('--join <cluster>', 'join this cluster; a name not known yet makes a new cluster, the first box its server')
    .option('--ha', 'with a new cluster: the first three boxes are servers (embedded etcd)')
    .option('--api-endpoint <url>', 'with a new cluster: the API address the station uses (https://host:6443)')
    .option('--parallel <n>', 'boxes at once (the station-wide setting when omitted)')
    .option('--bundle <file>', "the tar bundle to install (the batch's newest when omitted)")
    .option('--resume <run>', 'wait for an earlier run again; its unfinished boxes resume from their last completed step')
    .option('--json', 'machine-readable output (the run summary)')
    .action((batch: string | undefined, opts: FlashOptions) =>
      run(
        withRuntime('owner', async (rt) => {
          if (opts.parallel !== undefined) {
            const n = Number(opts.parallel);
            if (!Number.isInteger(n) || n < 1 || n > 64)
              throw usage('--parallel is a whole number from 1 to 64.', '--parallel 为 1 到 64 之间的整数。', 'parallel');
            rt.flash.parallelOverride = n;
          }
          if (opts.resume) {
            const r: FlashRun = rt.flash.run(opts.resume);
            for (const b of rt.flash.detail(r.id).boxes) if (b.state === 'cancelled' || b.state === 'interrupted') await rt.flash.retryBox(b.id);
            return watch(rt, r.id, Boolean(opts.json));
          }
          if (!batch) throw usage('Name the batch to flash, or --resume RUN.', '请指定要刷机的批次，或使用 --resume RUN。', 'batch');
          const boxes = boxInputs(opts);
          if (!boxes.length)
            throw usage(
              'Give at least one box: --ssh user@host or --serial /dev/ttyUSB0.',
              '请至少指定一台设备：--ssh user@host 或 --serial /dev/ttyUSB0。',
              'ssh',
            );
          let join: unknown = { mode: 'none' };
          if (opts.join) {
            const existing = rt.clusters.list().find((c) => c.name === opts.join || c.id === opts.join);
            join = existing
              ? { mode: 'existing', clusterId: existing.id }
              : { mode: 'new', clusterName: opts.join, ha: Boolean(opts.ha), apiEndpoint: opts.apiEndpoint ?? null };
          }
          const parsed = FlashRunCreateSchema.safeParse({ batchId: batch, bundleFile: opts.bundle ?? null, join, boxes });
          if (!parsed.success) throw inputInvalid(parsed.error.issues);
          const created = await rt.flash.createRun(parsed.data);
          if (!opts.json)
            process.stdout.write(
              say({
                en: `Run ${created.id}: ${created.total} boxes, steps ${FLASH_STEPS.join(' → ')}. Ctrl+C cancels; edgeforge flash --resume ${created.id} picks it up again.\n`,
                zh: `刷机批次 ${created.id}：${created.total} 台设备，步骤 ${FLASH_STEPS.join(' → ')}。Ctrl+C 取消；edgeforge flash --resume ${created.id} 可继续。\n`,
              }),
            );
          return watch(rt, created.id, Boolean(opts.json));
        }),
        Boolean(opts.json),
      ),
    );
}
