/**
 * `edgeforge activate | seats | ledger | delegate | report | station`: the
 * activation commands (docs/cli.md, docs/activation.md). They open the data
 * directory without its owner lock, so a factory script can activate while
 * the desktop app or the headless host runs; the seat ledger's transactions
 * keep them apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { DelegateInputSchema } from '../api/contract';
import { AppError } from '../api/errors';
import { inputInvalid } from '../api/validation';
import { armouredBlocks } from '../licensing';
import type { Runtime } from '../runtime';
import { ExitCode, printJson, say } from './output';

type Run = (p: Promise<number>, json: boolean) => void;
type WithRuntime = (mode: 'owner' | 'reader', fn: (rt: Runtime) => number | Promise<number>) => Promise<number>;

/** A file's text when `arg` names a file, else the argument itself. */
function textOrFile(arg: string): string {
  if (arg === '-') return fs.readFileSync(0, 'utf8');
  try {
    if (fs.statSync(arg).isFile()) return fs.readFileSync(arg, 'utf8');
  } catch {
    /* not a file: the text itself */
  }
  // Codes have only letters, digits and dashes; anything path-like that is not a file is a wrong path.
  if (/[/\\.]/.test(arg) && !arg.includes('\n') && !arg.includes('-----BEGIN'))
    throw new AppError('FILE_NOT_FOUND', { en: `${arg}: no such file.`, zh: `${arg}：文件不存在。` }, { file: arg });
  return arg;
}

function writeOut(file: string, text: string | Buffer): string {
  const abs = path.resolve(file);
  const tmp = `${abs}.partial-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, abs);
  return abs;
}

export function addActivationCommands(program: Command, withRuntime: WithRuntime, run: Run): void {
  program
    .command('activate')
    .description('turn a box activation request (code or file) into its reply; spends one seat of the batch')
    .requiredOption('--request <code|file>', 'the request code the box printed, or its request file ("-" reads standard input)')
    .option('--out <file>', 'write the reply file here (the box runs: sh install.sh activate <file>)')
    .option('--allow-clone', 'activate a box whose disk looks cloned as a NEW box (spends a new seat, flagged)')
    .option('--no-qr', 'do not draw the reply as a QR code')
    .option('--json', 'machine-readable output')
    .action((opts: { request: string; out?: string; allowClone?: boolean; qr: boolean; json?: boolean }) =>
      run(
        withRuntime('reader', async (rt) => {
          const a = rt.activation.activate(textOrFile(opts.request), { allowClone: !!opts.allowClone });
          const file = opts.out ? writeOut(opts.out, a.file) : null;
          if (opts.json) {
            printJson({ ...a, written: file });
            return ExitCode.OK;
          }
          process.stdout.write(
            say({
              en: `${a.reactivation ? 'Reactivated (same seat)' : 'Activated'}: ${a.serial}, seat ${a.seat} of ${a.batchId}${a.cloneOf ? ` — flagged: disk cloned from seat ${a.cloneOf}` : ''}\n`,
              zh: `${a.reactivation ? '已重新激活（同一席位）' : '已激活'}：${a.serial}，批次 ${a.batchId} 席位 ${a.seat}${a.cloneOf ? ` —— 已标记：磁盘克隆自席位 ${a.cloneOf}` : ''}\n`,
            }) +
              say({ en: 'Reply code (type it on the box: sh install.sh activate):\n', zh: '回复码（在设备上输入：sh install.sh activate）：\n' }) +
              `EDGEFORGE-REPLY ${a.code}\n`,
          );
          if (opts.qr && process.stdout.isTTY)
            process.stdout.write(await QRCode.toString(a.code, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
          if (file) process.stdout.write(say({ en: `Reply file: ${file}\n`, zh: `回复文件：${file}\n` }));
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  program
    .command('seats <batch>')
    .description("a batch's seats: used, reserved, free, delegated")
    .option('--state <state>', 'only seats in this state: available, reserved, spent, released, delegated, returned, free')
    .option('--json', 'machine-readable output')
    .action((batch: string, opts: { state?: string; json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const states = ['available', 'reserved', 'spent', 'released', 'delegated', 'returned', 'free'];
          if (opts.state && !states.includes(opts.state))
            throw inputInvalid([
              { code: 'custom', path: ['state'], params: { en: `--state is one of ${states.join(', ')}.`, zh: `--state 取值为 ${states.join('、')} 之一。` } },
            ]);
          const page = rt.activation.seatPage(batch, { state: opts.state as never, offset: 0, limit: 1_000_000 });
          if (opts.json) {
            printJson(page);
            return ExitCode.OK;
          }
          const c = page.counts;
          process.stdout.write(
            say({
              en: `${page.batchId} (${page.label}, ${page.origin === 'own' ? 'made here' : 'delegated to this station'}): ${c.spent} used, ${c.reserved} reserved, ${c.available} free, ${c.delegated} delegated, ${c.returned} returned, of ${c.total}\n`,
              zh: `${page.batchId}（${page.label}，${page.origin === 'own' ? '本站创建' : '委派给本站'}）：已用 ${c.spent}，预留 ${c.reserved}，空闲 ${c.available}，已委派 ${c.delegated}，已归还 ${c.returned}，共 ${c.total}\n`,
            }),
          );
          if (opts.state)
            for (const s of page.seats)
              process.stdout.write(
                `${String(s.seat).padStart(7)}  ${s.serial}  ${s.state.padEnd(9)}  ${s.fingerprintId ?? '-'}  ${s.flags.join(',')}  ${s.updatedAt ?? ''}\n`,
              );
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  const ledger = program.command('ledger').description('the activation log');
  ledger
    .command('verify')
    .description("recompute the log's hash chain and replay it against the seats")
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const v = rt.activation.ledger.verify();
          if (opts.json) printJson(v);
          else if (v.ok)
            process.stdout.write(
              say({ en: `Ledger intact: ${v.events} events, ${v.seats} seats agree.\n`, zh: `账本完好：${v.events} 条事件，${v.seats} 个席位一致。\n` }),
            );
          else {
            process.stdout.write(say({ en: `Ledger NOT intact (${v.problems.length} problems):\n`, zh: `账本不完整（${v.problems.length} 个问题）：\n` }));
            for (const p of v.problems) process.stdout.write(`  ${say(p)}\n`);
          }
          return v.ok ? ExitCode.OK : ExitCode.FAILED;
        }),
        !!opts.json,
      ),
    );
  ledger
    .command('log [batch]')
    .description('the newest activation events')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action((batch: string | undefined, opts: { limit: string; json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const events = rt.activation.ledger.events(batch, Math.max(1, Math.min(10000, Number(opts.limit) || 50)));
          if (opts.json) printJson(events);
          else
            for (const e of events)
              process.stdout.write(`${String(e.seq).padStart(6)}  ${e.at}  ${e.batchId}  ${e.seat ?? '-'}  ${e.kind}  ${JSON.stringify(e.detail)}\n`);
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  program
    .command('report <batch>')
    .description('the signed production report: <batch>.csv and its signature .csv.sig (DER)')
    .option('--out <dir>', 'folder to write into', '.')
    .option('--json', 'machine-readable output')
    .action((batch: string, opts: { out: string; json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const r = rt.activation.report(batch);
          fs.mkdirSync(opts.out, { recursive: true });
          const csv = writeOut(path.join(opts.out, r.fileName), r.csv);
          const sig = writeOut(`${csv}.sig`, Buffer.from(r.signature, 'base64'));
          const pem = writeOut(path.join(opts.out, 'station.pub.pem'), r.publicKeyPem);
          if (opts.json) printJson({ csv, signature: sig, publicKey: pem, boxes: r.csv.trim().split('\n').length - 1 });
          else process.stdout.write(`${csv}\n${sig}\n${pem}\n`);
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  const delegate = program
    .command('delegate')
    .description("delegate a range of a batch's seats to another station, and take them back")
    .argument('[batch]', 'the batch whose seats to delegate')
    .option('--range <A-B>', 'the seats, e.g. 101-200')
    .option('--to <pubkey>', "the other station's public key: a PEM file, PEM text, or its 66 hex digits")
    .option('--out <file>', 'write the delegation file here (default: delegation-<batch>-<A>-<B>.txt)')
    .option('--json', 'machine-readable output')
    .action((batch: string | undefined, opts: { range?: string; to?: string; out?: string; json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const m = /^(\d+)-(\d+)$/.exec(opts.range ?? '');
          if (!m)
            throw inputInvalid([
              {
                code: 'custom',
                path: ['range'],
                params: {
                  en: `--range is the seats to delegate as FIRST-LAST, e.g. 101-200, not "${opts.range ?? ''}".`,
                  zh: `--range 为要委派的席位范围 起始-结束，例如 101-200，而不是“${opts.range ?? ''}”。`,
                },
              },
            ]);
          const parsed = DelegateInputSchema.safeParse({
            batchId: batch,
            first: m ? Number(m[1]) : NaN,
            last: m ? Number(m[2]) : NaN,
            to: opts.to ? textOrFile(opts.to) : '',
          });
          if (!parsed.success) throw inputInvalid(parsed.error.issues);
          const d = rt.activation.delegate(parsed.data.batchId, parsed.data.first, parsed.data.last, parsed.data.to);
          const file = writeOut(opts.out ?? d.fileName, d.file);
          if (opts.json) printJson({ id: d.id, file });
          else process.stdout.write(say({ en: `Delegated seats ${opts.range} of ${batch}: ${file}\n`, zh: `已委派 ${batch} 的席位 ${opts.range}：${file}\n` }));
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  delegate
    .command('import <file>')
    .description('import a delegation file (on the delegate) or a delegation return file (on the issuer)')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const text = fs.readFileSync(file, 'utf8');
          if (armouredBlocks(text).some((b) => b.label === 'DELEGATION RETURN')) {
            const r = rt.activation.importReturn(text);
            if (opts.json) printJson(r);
            else
              process.stdout.write(
                say({
                  en: `Return imported: ${r.freed} seats free again, ${r.spent} activated by the delegate.\n`,
                  zh: `已导入归还：${r.freed} 个席位重新空闲，委派方激活了 ${r.spent} 个。\n`,
                }),
              );
            return ExitCode.OK;
          }
          const { text: _t, signature: _s, ...d } = rt.activation.importDelegation(text);
          if (opts.json) printJson(d);
          else
            process.stdout.write(
              say({
                en: `Delegation ${d.id}: seats ${d.first}-${d.last} of ${d.batchId} may now be activated here.\n`,
                zh: `委派 ${d.id}：现在可在本站激活 ${d.batchId} 的席位 ${d.first}-${d.last}。\n`,
              }),
            );
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  delegate
    .command('return <id>')
    .description('give a delegation’s unused seats back; writes the return file for the issuing station')
    .option('--out <file>', 'where to write the return file')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { out?: string; json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const r = rt.activation.returnDelegation(id);
          const file = writeOut(opts.out ?? r.fileName, r.file);
          if (opts.json) printJson({ file, returned: r.returned, spent: r.spent });
          else
            process.stdout.write(
              say({ en: `${r.returned} seats returned, ${r.spent} used: ${file}\n`, zh: `已归还 ${r.returned} 个席位，已用 ${r.spent} 个：${file}\n` }),
            );
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  delegate
    .command('list')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const list = rt.activation.delegationList();
          if (opts.json) printJson(list);
          else
            for (const d of list)
              process.stdout.write(
                `${d.id}  ${d.direction.padEnd(8)}  ${d.batchId}  ${d.first}-${d.last}  spent ${d.spent}${d.returnedAt ? `  returned ${d.returnedAt}` : ''}\n`,
              );
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  const station = program.command('station').description("this station's signing key");
  station
    .command('show')
    .description('the key fingerprint and the public key other stations delegate to')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime('reader', (rt) => {
          const s = rt.station.status();
          if (opts.json) printJson(s);
          else if (!s.key)
            throw new AppError('STATION_NO_KEY', {
              en: s.vault.locked
                ? 'The station is locked and has no key yet: set EDGEFORGE_PASSPHRASE or open Settings › Station key.'
                : 'The station has no key yet.',
              zh: s.vault.locked ? '工作站已锁定且尚无密钥：请设置 EDGEFORGE_PASSPHRASE 或打开“设置 › 工作站密钥”。' : '工作站尚无密钥。',
            });
          else process.stdout.write(`${s.key.fingerprint}\n${s.key.publicKeyHex}\n${s.key.publicKeyPem}`);
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
}
