/**
 * `edgeforge`: the command-line front end. It opens the same runtime (store,
 * services, native process) as the desktop app and the headless host.
 * Commands and exit codes are documented in docs/cli.md.
 */
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import fs from 'node:fs';
import type { Batch, HardwareModel, Job } from '../api/contract';
import { AppError } from '../api/errors';
import { BatchCreateInputSchema, BundleBuildInputSchema, HashFileInputSchema, ImportInputSchema } from '../api/contract';
import { inputInvalid } from '../api/validation';
import { HASH_FILE_KIND } from '../diagnostics';
import { defaultHome } from '../home';
import { isLoopback, startHost } from '../host';
import { NativeHost, childProcessChannel } from '../native';
import { openRuntime, type Runtime } from '../runtime';
import { builtPaths } from '../runtime/paths';
import { APP_VERSION } from '../runtime/version';
import { addActivationCommands } from './activation';
import { addFlashCommands } from './flash';
import { launchDesktop } from './launch';
import { ExitCode, formatBytes, printJson, reportError, say } from './output';

interface Globals {
  home?: string;
}

function open(globals: Globals, mode: 'owner' | 'reader', shell: 'cli' | 'headless-host' = 'cli'): Runtime {
  return openRuntime({
    home: globals.home ?? defaultHome(),
    native: new NativeHost('child-process', childProcessChannel(builtPaths.nativeWorker)),
    mode,
    version: APP_VERSION,
    shell,
    osLocale: Intl.DateTimeFormat().resolvedOptions().locale,
  });
}

function jobLine(j: Job): string {
  const pct = j.bytesTotal ? ` ${Math.floor((100 * j.bytesDone) / Math.max(1, j.bytesTotal))}%` : '';
  return `${j.id}  ${j.state.padEnd(11)}${pct.padEnd(5)}  ${j.createdAt}  ${say(j.title)}`;
}

async function serve(globals: Globals, opts: { port: string; listen?: string; json?: boolean }): Promise<number> {
  const port = Number.parseInt(opts.port, 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw inputInvalid([
      {
        code: 'custom',
        path: ['port'],
        params: {
          en: `--port must be 0 (any free port) or 1-65535, not "${opts.port}".`,
          zh: `--port 必须是 0（任意空闲端口）或 1-65535，而不是“${opts.port}”。`,
        },
      },
    ]);
  }
  const listen = opts.listen ?? '127.0.0.1';
  const runtime = open(globals, 'owner', 'headless-host');
  let host;
  try {
    await runtime.native.start().catch(() => undefined); // health is reported in Settings and doctor
    const terminal = runtime.terminal;
    host = await startHost({
      router: runtime.router,
      staticDir: builtPaths.renderer,
      listen,
      port,
      uploadDir: runtime.layout.uploads,
      terminalOutput: { take: (request, socket) => terminal.outputSocket(request, socket), closeAll: () => terminal.closeOutputSockets() },
    });
  } catch (e) {
    await runtime.close();
    throw e;
  }
  // Handlers first: a supervisor may signal as soon as it reads the URL.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        await host.close();
        await runtime.close();
        if (!opts.json) process.stdout.write(say({ en: `Stopped (${signal}).\n`, zh: `已停止（${signal}）。\n` }));
        resolve(ExitCode.OK);
      })();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  if (!isLoopback(listen)) {
    process.stderr.write(
      say({
        en: `WARNING: listening on ${listen}, not only on this machine. Anyone who can reach this address and learns the token can use EdgeForge.\n`,
        zh: `警告：正在监听 ${listen}，不仅限于本机。任何能访问该地址并得知令牌的人都可以使用 EdgeForge。\n`,
      }),
    );
  }
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({ event: 'listening', url: host.url, openUrl: host.openUrl, port: host.port, home: runtime.layout.root, recovered: runtime.recovered }) +
        '\n',
    );
  } else {
    process.stdout.write(
      `EdgeForge ${APP_VERSION} ${say({ en: 'headless host', zh: '无界面主机' })}\n` +
        `  ${say({ en: 'Open', zh: '打开' })}: ${host.openUrl}\n` +
        `  ${say({ en: 'Data', zh: '数据' })}: ${runtime.layout.root}\n` +
        (runtime.recovered
          ? `  ${say({ en: `${runtime.recovered} unfinished job(s) marked interrupted`, zh: `${runtime.recovered} 个未完成作业已标记为中断` })}\n`
          : '') +
        `  ${say({ en: 'Press Ctrl+C to stop.', zh: '按 Ctrl+C 停止。' })}\n`,
    );
  }
  return stopped;
}

async function doctor(globals: Globals, opts: { json?: boolean }): Promise<number> {
  const runtime = open(globals, 'reader');
  try {
    const report = await runtime.system.doctor();
    if (opts.json) printJson(report);
    else {
      for (const c of report.checks) {
        const mark = c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'FAIL';
        process.stdout.write(`[${mark}] ${say(c.title)}: ${say(c.detail)}\n`);
      }
      process.stdout.write(
        report.ok
          ? say({ en: 'All required checks passed.\n', zh: '所有必需检查均已通过。\n' })
          : say({ en: 'Some checks failed.\n', zh: '部分检查未通过。\n' }),
      );
    }
    return report.ok ? ExitCode.OK : ExitCode.FAILED;
  } finally {
    await runtime.close();
  }
}

async function backup(globals: Globals, opts: { out?: string; json?: boolean }): Promise<number> {
  const runtime = open(globals, 'reader');
  try {
    const r = await runtime.system.backup(opts.out === undefined ? undefined : path.resolve(opts.out));
    if (opts.json) printJson(r);
    else
      process.stdout.write(
        say({ en: `Backed up to ${r.path} (${formatBytes(r.bytes)}, integrity ok)\n`, zh: `已备份到 ${r.path}（${formatBytes(r.bytes)}，完整性通过）\n` }),
      );
    return ExitCode.OK;
  } finally {
    await runtime.close();
  }
}

async function jobsList(globals: Globals, opts: { state?: Job['state'][]; limit: string; json?: boolean }): Promise<number> {
  const runtime = open(globals, 'reader');
  try {
    const jobs = runtime.jobs.list({ ...(opts.state ? { states: opts.state } : {}), limit: Number.parseInt(opts.limit, 10) || 200 });
    if (opts.json) printJson(jobs);
    else if (jobs.length === 0) process.stdout.write(say({ en: 'No jobs.\n', zh: '没有作业。\n' }));
    else for (const j of jobs) process.stdout.write(jobLine(j) + '\n');
    return ExitCode.OK;
  } finally {
    await runtime.close();
  }
}

async function jobsShow(globals: Globals, id: string, opts: { json?: boolean }): Promise<number> {
  const runtime = open(globals, 'reader');
  try {
    const job = runtime.jobs.get(id);
    const logs = runtime.jobs.logs(id);
    if (opts.json) printJson({ ...job, logs });
    else {
      process.stdout.write(jobLine(job) + '\n');
      if (job.error) process.stdout.write(`  ${job.error.code}: ${say(job.error.message)}\n`);
      if (job.result) process.stdout.write(`  ${JSON.stringify(job.result)}\n`);
      for (const l of logs) process.stdout.write(`  ${l.at} ${l.level.padEnd(5)} ${l.message}\n`);
    }
    return ExitCode.OK;
  } finally {
    await runtime.close();
  }
}

/**
 * Runs one job in this process, owning the data directory: a progress line
 * on a terminal, Ctrl+C cancels, the final job as JSON with --json.
 */
async function runJob(globals: Globals, json: boolean | undefined, start: (rt: Runtime) => Promise<Job>, success: (job: Job) => string): Promise<number> {
  const runtime = open(globals, 'owner');
  let job: Job;
  try {
    job = await start(runtime);
  } catch (e) {
    await runtime.close();
    throw e;
  }
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    runtime.jobs.cancel(job.id);
  };
  process.once('SIGINT', onSigint);
  try {
    const final = await new Promise<Job>((resolve) => {
      const off = runtime.jobs.subscribe((e) => {
        if (e.type !== 'job' || e.job.id !== job.id) return;
        if (!json && process.stderr.isTTY && e.job.bytesTotal) {
          const pct = Math.floor((100 * e.job.bytesDone) / Math.max(1, e.job.bytesTotal));
          const eta = e.job.etaSeconds !== null ? ` ETA ${Math.ceil(e.job.etaSeconds)}s` : '';
          process.stderr.write(`\r${pct}% ${formatBytes(e.job.bytesDone)}/${formatBytes(e.job.bytesTotal)} ${formatBytes(e.job.rateBps)}/s${eta}   `);
        }
        if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(e.job.state)) {
          off();
          resolve(e.job);
        }
      });
    });
    if (!json && process.stderr.isTTY) process.stderr.write('\n');
    if (json) printJson(final);
    else if (final.state === 'succeeded') process.stdout.write(success(final));
    else process.stderr.write(`${final.state}${final.error ? ` ${final.error.code}: ${say(final.error.message)}` : ''}\n`);
    if (interrupted) return ExitCode.INTERRUPTED;
    return final.state === 'succeeded' ? ExitCode.OK : ExitCode.FAILED;
  } finally {
    process.off('SIGINT', onSigint);
    await runtime.close();
  }
}

async function jobsHash(globals: Globals, file: string, opts: { rate?: string; json?: boolean }): Promise<number> {
  if (opts.rate !== undefined && !Number.isFinite(Number(opts.rate))) {
    throw inputInvalid([
      {
        code: 'custom',
        path: ['rateLimitMiBps'],
        params: { en: `--rate takes a number of MiB/s, not "${opts.rate}".`, zh: `--rate 需要一个以 MiB/秒 为单位的数字，而不是“${opts.rate}”。` },
      },
    ]);
  }
  const parsed = HashFileInputSchema.safeParse({ path: file, ...(opts.rate !== undefined ? { rateLimitMiBps: Number(opts.rate) } : {}) });
  if (!parsed.success) throw inputInvalid(parsed.error.issues);
  return runJob(
    globals,
    opts.json,
    (rt) => rt.jobs.start(HASH_FILE_KIND, parsed.data),
    (j) => `${(j.result as { sha256: string }).sha256}  ${file}\n`,
  );
}

async function importArtifact(
  globals: Globals,
  source: string,
  opts: { platform?: string[]; lightApp?: string; arch?: string; json?: boolean },
): Promise<number> {
  const parsed = ImportInputSchema.safeParse({
    path: path.resolve(source),
    ...(opts.platform ? { platforms: opts.platform } : {}),
    ...(opts.lightApp ? { lightApp: { language: opts.lightApp, arch: opts.arch ?? null } } : {}),
  });
  if (!parsed.success) throw inputInvalid(parsed.error.issues);
  return runJob(
    globals,
    opts.json,
    (rt) => rt.artifacts.startImport(parsed.data),
    (j) => {
      const r = j.result as { artifacts: { id: string; name: string; platform: string | null; digest: string }[]; blobsAdded: number; blobsReused: number };
      return (
        r.artifacts.map((a) => `${a.id}  ${a.platform ?? '-'}  ${a.digest.slice(0, 19)}…  ${a.name}`).join('\n') +
        `\n${say({ en: `${r.blobsAdded} new blob(s) stored, ${r.blobsReused} already present`, zh: `新存储 ${r.blobsAdded} 个数据块，${r.blobsReused} 个已存在` })}\n`
      );
    },
  );
}

async function artifactsList(globals: Globals, opts: { search?: string; json?: boolean }): Promise<number> {
  const runtime = open(globals, 'reader');
  try {
    const list = runtime.artifacts.list(opts.search ? { search: opts.search } : {});
    if (opts.json) printJson(list);
    else if (list.length === 0) process.stdout.write(say({ en: 'No artifacts.\n', zh: '没有制品。\n' }));
    else
      for (const a of list)
        process.stdout.write(`${a.id}  ${a.kind.padEnd(6)} ${(a.platform ?? '-').padEnd(16)} ${formatBytes(a.size).padStart(9)}  ${a.name}\n`);
    return ExitCode.OK;
  } finally {
    await runtime.close();
  }
}

async function gc(globals: Globals, opts: { dryRun?: boolean; json?: boolean }): Promise<number> {
  const runtime = open(globals, opts.dryRun ? 'reader' : 'owner');
  try {
    const r = runtime.artifacts.gc(!!opts.dryRun);
    if (opts.json) printJson(r);
    else
      process.stdout.write(
        say(
          r.dryRun
            ? {
                en: `Would free ${r.unreferencedBlobs} blob(s), ${formatBytes(r.unreferencedBytes)}; ${r.storedBlobs} referenced blob(s), ${formatBytes(r.storedBytes)}, stay.\n`,
                zh: `将释放 ${r.unreferencedBlobs} 个数据块，${formatBytes(r.unreferencedBytes)}；${r.storedBlobs} 个被引用的数据块（${formatBytes(r.storedBytes)}）保留。\n`,
              }
            : {
                en: `Freed ${r.unreferencedBlobs} blob(s), ${formatBytes(r.unreferencedBytes)}; ${r.storedBlobs} referenced blob(s), ${formatBytes(r.storedBytes)}, stay.\n`,
                zh: `已释放 ${r.unreferencedBlobs} 个数据块，${formatBytes(r.unreferencedBytes)}；${r.storedBlobs} 个被引用的数据块（${formatBytes(r.storedBytes)}）保留。\n`,
              },
        ),
      );
    return ExitCode.OK;
  } finally {
    await runtime.close();
  }
}

async function withRuntime(globals: Globals, mode: 'owner' | 'reader', fn: (rt: Runtime) => number | Promise<number>): Promise<number> {
  const runtime = open(globals, mode);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

function modelLine(m: HardwareModel): string {
  const last = m.revisions.at(-1)!;
  return `${m.id}  ${m.arch.padEnd(7)} r${last.revision} ${last.state.padEnd(9)} ${m.name}`;
}

function addModelCommands(program: Command, globals: () => Globals, run: (p: Promise<number>, json: boolean) => void): void {
  const models = program.command('models').description('hardware models: list, show, publish, export, import');
  models
    .command('list')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const list = rt.models.list();
          if (opts.json) printJson(list);
          else if (list.length === 0) process.stdout.write(say({ en: 'No hardware models.\n', zh: '没有硬件型号。\n' }));
          else for (const m of list) process.stdout.write(modelLine(m) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  models
    .command('show <id>')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const m = rt.models.get(id);
          if (opts.json) printJson(m);
          else {
            process.stdout.write(modelLine(m) + '\n');
            process.stdout.write(JSON.stringify(m.revisions.at(-1)!.spec, null, 2) + '\n');
          }
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  models
    .command('publish <id>')
    .description("freeze the model's draft revision")
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'owner', (rt) => {
          const m = rt.models.publish(id);
          if (opts.json) printJson(m);
          else process.stdout.write(modelLine(m) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  addDocumentCommands(models, 'models', globals, run);
}

type DocumentKind = 'models' | 'apps' | 'combos';

/** `<kind> export [ids...]` and `<kind> import <file>`: catalog documents (docs/cli.md). */
function addDocumentCommands(group: Command, kind: DocumentKind, globals: () => Globals, run: (p: Promise<number>, json: boolean) => void): void {
  const what = { models: 'models', apps: 'applications', combos: 'appliance combos (with the models and apps they use)' }[kind];
  group
    .command('export [ids...]')
    .description(`write ${what} (all, or those named) as a versioned catalog document (JSON)`)
    .option('--out <file>', 'write to this file instead of standard output')
    .action((ids: string[], opts: { out?: string }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const all = { models: () => rt.models.list(), apps: () => rt.apps.list(), combos: () => rt.combos.list() }[kind]().map((x) => x.id);
          const doc = JSON.stringify(rt.catalog.export({ [kind]: ids.length ? ids : all }), null, 2) + '\n';
          if (opts.out) {
            const tmp = `${opts.out}.partial-${process.pid}`;
            fs.writeFileSync(tmp, doc);
            fs.renameSync(tmp, opts.out);
          } else process.stdout.write(doc);
          return ExitCode.OK;
        }),
        false,
      ),
    );
  group
    .command('import <file>')
    .description('add every definition of a catalog document (models, apps, combos); names already here are skipped')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'owner', (rt) => {
          let doc: unknown;
          try {
            doc = JSON.parse(fs.readFileSync(file, 'utf8'));
          } catch (e) {
            throw new AppError(
              'CATALOG_DOCUMENT_INVALID',
              { en: `${file} is not a readable JSON document: ${(e as Error).message}`, zh: `${file} 不是可读取的 JSON 文档：${(e as Error).message}` },
              { file },
            );
          }
          const r = rt.catalog.import(doc);
          if (opts.json) printJson(r);
          else {
            const names = (x: string[], sep: string) => x.join(sep) || '-';
            for (const k of ['models', 'apps', 'combos'] as const) {
              process.stdout.write(
                say({
                  en: `${k}: created ${names(r.created[k], ', ')}; skipped (already here) ${names(r.skipped[k], ', ')}\n`,
                  zh: `${{ models: '型号', apps: '应用', combos: '一体机' }[k]}：已创建 ${names(r.created[k], '、')}；已跳过（已存在）${names(r.skipped[k], '、')}\n`,
                }),
              );
            }
          }
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
}

function addAppAndComboCommands(program: Command, globals: () => Globals, run: (p: Promise<number>, json: boolean) => void): void {
  const apps = program.command('apps').description('applications: list, show, render, publish, export, import');
  apps
    .command('list')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const list = rt.apps.list();
          if (opts.json) printJson(list);
          else if (list.length === 0) process.stdout.write(say({ en: 'No applications.\n', zh: '没有应用。\n' }));
          else
            for (const a of list) {
              const v = a.versions.at(-1)!;
              process.stdout.write(`${a.id}  ${a.kind.padEnd(9)} v${v.version} ${v.state.padEnd(9)} ${v.change.padEnd(7)} ${a.name}\n`);
            }
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  apps
    .command('show <id>')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const a = rt.apps.get(id);
          process.stdout.write(opts.json ? JSON.stringify(a, null, 2) + '\n' : JSON.stringify(a.versions.at(-1)!.spec, null, 2) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  apps
    .command('render <id>')
    .description('print the Kubernetes manifests (YAML) of a container app version')
    .option('--version <n>', 'this version instead of the latest')
    .action((id: string, opts: { version?: string }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          process.stdout.write(rt.apps.render(id, opts.version ? Number.parseInt(opts.version, 10) : undefined).yaml);
          return ExitCode.OK;
        }),
        false,
      ),
    );
  apps
    .command('publish <id>')
    .description("freeze the application's draft version")
    .action((id: string) =>
      run(
        withRuntime(globals(), 'owner', (rt) => {
          const a = rt.apps.publish(id);
          process.stdout.write(`${a.id}  v${a.versions.at(-1)!.version} published  ${a.name}\n`);
          return ExitCode.OK;
        }),
        false,
      ),
    );
  const combos = program.command('combos').description('appliance combos: list, show, check, publish, export, import');
  combos
    .command('list')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const list = rt.combos.list();
          if (opts.json) printJson(list);
          else if (list.length === 0) process.stdout.write(say({ en: 'No appliance combos.\n', zh: '没有软硬一体机。\n' }));
          else for (const c of list) process.stdout.write(`${c.id}  ${c.state.padEnd(9)} ${c.name}\n`);
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  combos
    .command('check <id>')
    .description('list every reason the combo cannot run on its model (exit 1 if any)')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const problems = rt.combos.check(rt.combos.get(id).spec);
          if (opts.json) printJson(problems);
          else if (problems.length === 0) process.stdout.write(say({ en: 'No problems: it fits its model.\n', zh: '没有问题：与型号相符。\n' }));
          else for (const p of problems) process.stdout.write(`[${p.rule}] ${p.field.join('.')}: ${say(p.message)}\n`);
          return problems.length === 0 ? ExitCode.OK : ExitCode.FAILED;
        }),
        !!opts.json,
      ),
    );
  combos.command('publish <id>').action((id: string) =>
    run(
      withRuntime(globals(), 'owner', (rt) => {
        const c = rt.combos.publish(id);
        process.stdout.write(`${c.id}  published  ${c.name}\n`);
        return ExitCode.OK;
      }),
      false,
    ),
  );
  combos
    .command('show <id>')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const c = rt.combos.get(id);
          process.stdout.write(JSON.stringify(opts.json ? c : c.spec, null, 2) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  addDocumentCommands(apps, 'apps', globals, run);
  addDocumentCommands(combos, 'combos', globals, run);
}

function batchLine(b: Batch): string {
  return `${b.id}  ${String(b.quantity).padStart(7)} seats  ${b.firstSerial}…${b.lastSerial}  ${b.comboName} (${b.modelName} r${b.modelRevision})`;
}

function addBatchAndBundleCommands(program: Command, globals: () => Globals, run: (p: Promise<number>, json: boolean) => void): void {
  const batch = program.command('batch').description('batches of a published combo: create, list, show');
  batch
    .command('create <combo>')
    .description('make a batch of a published combo, with a license signed by the station key')
    .requiredOption('--quantity <n>', 'seats: how many activations its bundles may ever get (1–1,000,000)')
    .requiredOption('--prefix <text>', 'serial number prefix, e.g. LA-')
    .option('--digits <n>', 'zero-padded counter digits', '6')
    .option('--json', 'machine-readable output')
    .action((combo: string, opts: { quantity: string; prefix: string; digits: string; json?: boolean }) =>
      run(
        withRuntime(globals(), 'owner', (rt) => {
          const parsed = BatchCreateInputSchema.safeParse({
            comboId: combo,
            quantity: Number(opts.quantity),
            serialPrefix: opts.prefix,
            serialDigits: Number(opts.digits),
          });
          if (!parsed.success) throw inputInvalid(parsed.error.issues);
          const b = rt.batches.create(parsed.data);
          if (opts.json) printJson(b);
          else process.stdout.write(batchLine(b) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  batch
    .command('list')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const list = rt.batches.list();
          if (opts.json) printJson(list);
          else if (list.length === 0) process.stdout.write(say({ en: 'No batches.\n', zh: '没有批次。\n' }));
          else for (const b of list) process.stdout.write(batchLine(b) + '\n');
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );
  batch
    .command('show <id>')
    .description('a batch, its license and the bundles built for it')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) =>
      run(
        withRuntime(globals(), 'reader', (rt) => {
          const b = rt.batches.get(id);
          if (opts.json) printJson(b);
          else {
            process.stdout.write(batchLine(b) + '\n' + b.license);
            for (const o of b.outputs)
              process.stdout.write(
                `${o.kind}  ${formatBytes(o.size)}  sha256 ${o.sha256}  ${o.file}${o.present ? '' : say({ en: ' (missing)', zh: '（文件已不存在）' })}\n`,
              );
          }
          return ExitCode.OK;
        }),
        !!opts.json,
      ),
    );

  const bundle = program.command('bundle').description('build the install bundles of a batch');
  bundle
    .command('build <batch>')
    .description('build the tar bundle (and, when available, the ISO bundle) of a batch, with progress; Ctrl+C cancels')
    .option('--tar', 'a tar bundle, for boxes that already have an OS (the default)')
    .option('--iso', 'an ISO bundle: the base installer remastered for an unattended install')
    .option('--zstd', 'compress the tar bundle with zstd')
    .option('--out <dir>', 'output folder (default: <data>/bundles/<batch>)')
    .option('--json', 'machine-readable output')
    .action((batchId: string, opts: { tar?: boolean; iso?: boolean; zstd?: boolean; out?: string; json?: boolean }) => {
      const parsed = BundleBuildInputSchema.safeParse({
        batchId,
        tar: opts.tar ?? !opts.iso,
        iso: !!opts.iso,
        zstd: !!opts.zstd,
        outDir: opts.out ? path.resolve(opts.out) : null,
      });
      run(
        parsed.success
          ? runJob(
              globals(),
              opts.json,
              (rt) => rt.bundles.startBuild(parsed.data),
              (j) =>
                (j.result as { outputs: { kind: string; file: string; size: number; sha256: string }[] }).outputs
                  .map((o) => `${o.kind}  ${formatBytes(o.size)}  sha256 ${o.sha256}\n  ${o.file}\n`)
                  .join(''),
            )
          : Promise.reject(inputInvalid(parsed.error.issues)),
        !!opts.json,
      );
    });
}

export function buildProgram(run: (p: Promise<number>, json: boolean) => void): Command {
  const program = new Command('edgeforge')
    .description('EdgeForge: build, flash, activate and operate edge appliances, offline.')
    .version(APP_VERSION)
    .option('--home <dir>', 'data directory (default: EDGEFORGE_HOME or the OS app-data folder)')
    .showHelpAfterError()
    .exitOverride();
  const globals = () => program.opts<Globals>();

  program
    .command('start')
    .description('start the desktop app; falls back to the headless host where Electron is unavailable')
    .option('--port <n>', 'port for the headless-host fallback', '0')
    .action((opts: { port: string }) =>
      run(
        launchDesktop(() => serve(globals(), { port: opts.port })),
        false,
      ),
    );

  program
    .command('serve')
    .description('serve the UI and API to a browser on this machine (headless host)')
    .option('--port <n>', 'TCP port; 0 picks a free one', '0')
    .option('--listen <address>', 'bind another address than 127.0.0.1 (prints a warning)')
    .option('--json', 'print one JSON line with the URL instead of text')
    .action((opts: { port: string; listen?: string; json?: boolean }) => run(serve(globals(), opts), !!opts.json));

  program
    .command('doctor')
    .description('check native modules, the data directory, the database and external tools')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => run(doctor(globals(), opts), !!opts.json));

  program
    .command('backup')
    .description("copy the database with SQLite's online backup, then verify the copy")
    .option('--out <file>', 'destination file (default: <data>/backups/edgeforge-<time>.db)')
    .option('--json', 'machine-readable output')
    .action((opts: { out?: string; json?: boolean }) => run(backup(globals(), opts), !!opts.json));

  program
    .command('import <path>')
    .description('import an artifact: container image, installer ISO, driver, k3s runtime folder, or (with --light-app) a light app')
    .option('--platform <os/arch...>', 'for a multi-arch index: the platforms to import, e.g. linux/arm64')
    .addOption(new Option('--light-app <language>', 'import a .tar.gz or .zip as a light app of this language').choices(['python', 'nodejs', 'c']))
    .addOption(new Option('--arch <arch>', 'a C light app: its CPU architecture').choices(['x86_64', 'aarch64']))
    .option('--json', 'machine-readable output')
    .action((p: string, opts: { platform?: string[]; lightApp?: string; arch?: string; json?: boolean }) =>
      run(importArtifact(globals(), p, opts), !!opts.json),
    );

  program
    .command('artifacts')
    .description('list imported artifacts')
    .option('--search <text>', 'only those whose name, digest or platform contains this')
    .option('--json', 'machine-readable output')
    .action((opts: { search?: string; json?: boolean }) => run(artifactsList(globals(), opts), !!opts.json));

  program
    .command('gc')
    .description('remove stored blobs that no artifact references')
    .option('--dry-run', 'only report what would be freed')
    .option('--json', 'machine-readable output')
    .action((opts: { dryRun?: boolean; json?: boolean }) => run(gc(globals(), opts), !!opts.json));

  addModelCommands(program, globals, run);
  addAppAndComboCommands(program, globals, run);
  addBatchAndBundleCommands(program, globals, run);
  addActivationCommands(program, (mode, fn) => withRuntime(globals(), mode, fn), run);
  addFlashCommands(program, (mode, fn) => withRuntime(globals(), mode, fn), run);

  const jobs = program.command('jobs').description('list, inspect and run jobs');
  jobs
    .command('list')
    .description('list jobs, newest first')
    .addOption(new Option('--state <state...>', 'only these states').choices(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']))
    .option('--limit <n>', 'at most this many', '200')
    .option('--json', 'machine-readable output')
    .action((opts: { state?: Job['state'][]; limit: string; json?: boolean }) => run(jobsList(globals(), opts), !!opts.json));
  jobs
    .command('show <id>')
    .description('one job with its log')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) => run(jobsShow(globals(), id, opts), !!opts.json));
  jobs
    .command('hash <file>')
    .description('run the diagnostic job: sha256 of a file, with progress')
    .option('--rate <MiBps>', 'cap the read rate')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { rate?: string; json?: boolean }) => run(jobsHash(globals(), file, opts), !!opts.json));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  let pending: Promise<number> | null = null;
  let json = false;
  const program = buildProgram((p, j) => {
    pending = p;
    json = j;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      return;
    }
    throw e;
  }
  if (!pending) return;
  try {
    process.exitCode = await (pending as Promise<number>);
  } catch (e) {
    process.exitCode = reportError(e, json);
  }
}
