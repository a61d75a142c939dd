/**
 * The flashing station (DESIGN §1 step 6). A run is a batch, its bundle, a
 * cluster join plan and its boxes; each box is one job of kind
 * "flash-box", whose steps (connect → probe → upload → verify → install →
 * activate → join → ready) are persisted one by one in provision_boxes, so
 * a job resumed after a restart starts at the first step not done.
 *
 * Boxes run in a pool of their own, limited station-wide by the
 * flashConcurrency setting, beside imports and builds. A step that fails on
 * a transport fault (a dropped connection, a time-out, a corrupt copy) is
 * retried with backoff on a fresh connection; any other failure stops the
 * box, naming the step and the reason.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FLASH_STEPS,
  FlashBoxStateSchema,
  type ApiErrorDataSchema,
  type FlashBox,
  type FlashBoxInput,
  type FlashCredentials,
  type FlashEvent,
  type FlashJoin,
  type FlashRun,
  type FlashRunCreate,
  type FlashStep,
  type FlashTarget,
  type HardwareCheck,
  type HardwareModelSpec,
  type HardwareReport,
  type JobEvent,
} from '../api/contract';
import { AppError, internalErrorData, type ApiErrorData } from '../api/errors';
import type { BatchService } from '../bundles';
import type { ComboService, ModelService } from '../catalog';
import { type ClusterStore, joinBox, nodeNameFromSerial, readKubeconfig, rewriteServer, waitNodeReady } from '../cluster';
import type { JobContext, JobService } from '../jobs';
import type { ActivationService } from '../licensing';
import type { SecretVault } from '../secrets';
import type { SettingsService } from '../settings';
import type { Db } from '../store';
import { hostKeyFingerprint, type KnownHosts } from './known-hosts';
import { compareWithModel, mismatchError, probeBox } from './probe';
import { bootstrapNetwork, openSerialShell, SerialShell, serialTransferAdvice } from './serial';
import type { RemoteShell } from './shell';
import { Client } from 'ssh2';
import { LEGACY_ALGORITHMS, sha256File, SshShell, type SshTarget } from './ssh';
import type { z } from 'zod';

export const FLASH_BOX_KIND = 'flash-box';

export const FlashErrors = {
  FLASH_RUN_NOT_FOUND: 'FLASH_RUN_NOT_FOUND',
  FLASH_BOX_NOT_FOUND: 'FLASH_BOX_NOT_FOUND',
  FLASH_NO_BUNDLE: 'FLASH_NO_BUNDLE',
  FLASH_DUPLICATE_BOX: 'FLASH_DUPLICATE_BOX',
  FLASH_BOX_BUSY: 'FLASH_BOX_BUSY',
  FLASH_VERIFY_FAILED: 'FLASH_VERIFY_FAILED',
  FLASH_INSTALL_FAILED: 'FLASH_INSTALL_FAILED',
  FLASH_ACTIVATION_FAILED: 'FLASH_ACTIVATION_FAILED',
  FLASH_SERVER_NOT_READY: 'FLASH_SERVER_NOT_READY',
  FLASH_NOT_ACTIVE: 'FLASH_NOT_ACTIVE',
  FLASH_SERIAL_TOO_SLOW: 'FLASH_SERIAL_TOO_SLOW',
  NO_SSH: 'FLASH_BOX_NO_SSH',
} as const;

/** Longer than this over a serial line, and the box should get the network bootstrap instead. */
const MAX_SERIAL_SECONDS = 2 * 3600;

/** Where bundles go on the box. */
const BOX_UPLOADS = '/var/lib/edgeforge/upload';
const BOX_BUNDLES = '/var/lib/edgeforge/bundles';
const MAX_ATTEMPTS = 4;
const BACKOFF_MS = [2000, 5000, 10_000];
/** Faults of the line, not of the box: worth another go on a fresh connection. */
const TRANSIENT = new Set([
  'SSH_UNREACHABLE',
  'SSH_TIMEOUT',
  'SSH_CONNECTION_LOST',
  'SHELL_TIMEOUT',
  'UPLOAD_CORRUPT',
  'UPLOAD_FAILED',
  'SERIAL_DISCONNECTED',
  'SERIAL_NO_RESPONSE',
  'SERIAL_UPLOAD_CORRUPT',
  'CLUSTER_UNREACHABLE',
]);

/** The installer's exit codes (docs/installer.md, "Exit codes"). */
const INSTALL_EXIT: Record<number, { en: string; zh: string }> = {
  3: { en: 'not root, or a required tool is missing', zh: '非 root 用户，或缺少必需的工具' },
  10: { en: 'a signature is invalid or the station key is not trusted', zh: '签名无效或工作站密钥不受信任' },
  11: { en: 'a bundle file is missing, changed or added', zh: '安装包文件缺失、被修改或被添加' },
  20: { en: 'the hardware does not match the model', zh: '硬件与型号不符' },
  21: { en: 'not enough free disk space', zh: '磁盘空间不足' },
  30: { en: 'a driver failed to install', zh: '驱动安装失败' },
  40: { en: 'the runtime (k3s) failed to install', zh: '运行时（k3s）安装失败' },
  50: { en: 'copying the images or manifests failed', zh: '复制镜像或清单失败' },
  60: { en: 'a light app failed to install', zh: '轻应用安装失败' },
  70: { en: 'the identity could not be written', zh: '无法写入设备身份' },
  80: { en: 'the activation was refused', zh: '激活被拒绝' },
};

type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
interface StepStatus {
  step: FlashStep;
  state: StepState;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: ApiErrorData | null;
  note: string | null;
}

interface Facts {
  bundleRemote?: string;
  bundleDir?: string;
  clusterAddress?: string | null;
}

interface RunRow {
  id: string;
  batch_id: string;
  bundle_file: string;
  bundle_sha256: string;
  bundle_size: number;
  join_spec: string;
  cluster_id: string | null;
  created_at: string;
  finished_at: string | null;
}

interface BoxRow {
  id: string;
  run_id: string;
  position: number;
  target: string;
  username: string;
  credentials: Buffer;
  label_serial: string | null;
  node_name: string | null;
  role: 'server' | 'agent' | null;
  state: string;
  steps: string;
  host_key: string | null;
  hardware: string | null;
  checks: string;
  seat: number | null;
  serial: string | null;
  error: string | null;
  error_step: string | null;
  facts: string;
  job_id: string | null;
  updated_at: string;
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

function now(): string {
  return new Date().toISOString();
}

function freshSteps(): StepStatus[] {
  return FLASH_STEPS.map((step) => ({ step, state: 'pending', attempts: 0, startedAt: null, finishedAt: null, error: null, note: null }));
}

function targetLabel(t: FlashTarget, username: string): string {
  return t.transport === 'ssh' ? `${username}@${t.host}${t.port === 22 ? '' : `:${t.port}`}` : t.path;
}

function targetKey(t: FlashTarget): string {
  return t.transport === 'ssh' ? `ssh:${t.host.toLowerCase()}:${t.port}` : `serial:${t.path}`;
}

/** A label value by the Kubernetes rule: ≤ 63 of [A-Za-z0-9-_.], alphanumeric at both ends. */
function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export interface FlashDeps {
  db: Db;
  jobs: JobService;
  vault: SecretVault;
  knownHosts: KnownHosts;
  batches: BatchService;
  combos: ComboService;
  models: ModelService;
  activation: ActivationService;
  clusters: ClusterStore;
  settings: SettingsService;
}

export class FlashService {
  /** This process's limit instead of the station-wide setting (the CLI's --parallel). */
  parallelOverride: number | null = null;
  private readonly events = new EventEmitter();
  private readonly db: Db;

  constructor(private readonly d: FlashDeps) {
    this.db = d.db;
    this.events.setMaxListeners(0);
    d.jobs.register<{ boxId: string }, unknown>({
      kind: FLASH_BOX_KIND,
      title: (p) => {
        const b = this.db.prepare('SELECT target, username FROM provision_boxes WHERE id=?').get(p.boxId) as { target: string; username: string } | undefined;
        const label = b ? targetLabel(JSON.parse(b.target) as FlashTarget, b.username) : p.boxId;
        return { en: `Flash ${label}`, zh: `刷机 ${label}` };
      },
      pool: { name: 'flash', limit: () => this.parallelOverride ?? d.settings.get().flashConcurrency },
      resumeOnRestart: true,
      run: (ctx, p) => this.runBox(ctx, p.boxId),
    });
    d.jobs.subscribe((e) => this.onJobEvent(e));
  }

  subscribe(listener: (e: FlashEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  // ------------------------------------------------------------ runs and boxes

  async createRun(input: FlashRunCreate): Promise<FlashRun> {
    const batch = this.d.batches.get(input.batchId);
    let bundleFile = input.bundleFile;
    let sha: string;
    let size: number;
    const outputs = batch.outputs.filter((o) => o.kind === 'tar' && o.present);
    if (!bundleFile) {
      const o = outputs[0];
      if (!o)
        throw new AppError(
          FlashErrors.FLASH_NO_BUNDLE,
          {
            en: `Batch ${batch.id} has no tar bundle on this station. Build one (Batches & Bundles › Build) first.`,
            zh: `批次 ${batch.id} 在本工作站上没有 tar 安装包。请先构建（批次与安装包 › 构建）。`,
          },
          { field: ['bundleFile'] },
        );
      bundleFile = o.file;
      sha = o.sha256;
      size = o.size;
    } else {
      if (!fs.existsSync(bundleFile) || !fs.statSync(bundleFile).isFile())
        throw new AppError(
          FlashErrors.FLASH_NO_BUNDLE,
          { en: `No bundle file at ${bundleFile}.`, zh: `${bundleFile} 处没有安装包文件。` },
          { field: ['bundleFile'], file: bundleFile },
        );
      const known = batch.outputs.find((o) => o.file === bundleFile && o.present);
      size = fs.statSync(bundleFile).size;
      sha = known?.sha256 ?? (await sha256File(bundleFile));
    }
    let clusterId: string | null = null;
    if (input.join.mode === 'new') clusterId = this.d.clusters.create(input.join.clusterName, input.join.ha).id;
    else if (input.join.mode === 'existing') clusterId = this.d.clusters.get(input.join.clusterId).id;
    const runId = id('run');
    this.db
      .prepare(
        `INSERT INTO provision_runs (id, batch_id, bundle_file, bundle_sha256, bundle_size, join_spec, cluster_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(runId, batch.id, bundleFile, sha, size, JSON.stringify(input.join), clusterId, now());
    if (input.boxes.length) await this.addBoxes(runId, input.boxes);
    const run = this.run(runId);
    this.events.emit('event', { type: 'run', run } satisfies FlashEvent);
    return run;
  }

  async addBoxes(runId: string, boxes: FlashBoxInput[]): Promise<FlashBox[]> {
    const run = this.runRow(runId);
    const join = JSON.parse(run.join_spec) as FlashJoin;
    const existing = this.boxRows(runId);
    const seen = new Map(existing.map((b) => [targetKey(JSON.parse(b.target) as FlashTarget), b.position]));
    const serials = new Set(existing.map((b) => b.label_serial).filter(Boolean));
    boxes.forEach((b, i) => {
      const key = targetKey(b.target);
      if (seen.has(key))
        throw new AppError(
          FlashErrors.FLASH_DUPLICATE_BOX,
          {
            en: `${targetLabel(b.target, b.credentials.username)} is in this run twice.`,
            zh: `${targetLabel(b.target, b.credentials.username)} 在此批次刷机中出现了两次。`,
          },
          { field: ['boxes', i, 'target'] },
        );
      seen.set(key, -1);
      if (b.labelSerial) {
        if (serials.has(b.labelSerial))
          throw new AppError(
            FlashErrors.FLASH_DUPLICATE_BOX,
            { en: `The label serial ${b.labelSerial} was scanned twice.`, zh: `标签序列号 ${b.labelSerial} 被扫描了两次。` },
            { field: ['boxes', i, 'labelSerial'] },
          );
        serials.add(b.labelSerial);
      }
    });
    let position = existing.length ? Math.max(...existing.map((b) => b.position)) + 1 : 0;
    const servers = join.mode === 'new' ? (join.ha ? 3 : 1) : 0;
    const ids: string[] = [];
    const insert = this.db.prepare(
      `INSERT INTO provision_boxes (id, run_id, position, target, username, credentials, label_serial, node_name, role, state, steps, checks, facts, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, '[]', '{}', ?)`,
    );
    this.db.transaction(() => {
      for (const b of boxes) {
        const boxId = id('fbx');
        const role = join.mode === 'none' ? null : position < servers ? 'server' : 'agent';
        insert.run(
          boxId,
          runId,
          position++,
          JSON.stringify(b.target),
          b.credentials.username,
          this.d.vault.seal(Buffer.from(JSON.stringify(b.credentials))),
          b.labelSerial,
          b.nodeName,
          role,
          JSON.stringify(freshSteps()),
          now(),
        );
        ids.push(boxId);
      }
    })();
    for (const boxId of ids) {
      const job = await this.d.jobs.start(FLASH_BOX_KIND, { boxId });
      this.db.prepare('UPDATE provision_boxes SET job_id=? WHERE id=?').run(job.id, boxId);
      this.emitBox(boxId);
    }
    return ids.map((i) => this.box(i));
  }

  runs(): FlashRun[] {
    return (this.db.prepare('SELECT id FROM provision_runs ORDER BY created_at DESC').all() as { id: string }[]).map((r) => this.run(r.id));
  }

  run(runId: string): FlashRun {
    const r = this.runRow(runId);
    const boxes = this.boxRows(runId).map((b) => this.toBox(b));
    const counts = Object.fromEntries(FlashBoxStateSchema.options.map((st) => [st, 0])) as FlashRun['counts'];
    for (const b of boxes) counts[b.state]++;
    const batch = this.d.batches.get(r.batch_id);
    const active = boxes.some((b) => ['queued', 'running', 'waiting'].includes(b.state));
    return {
      id: r.id,
      batchId: r.batch_id,
      comboName: batch.comboName,
      bundleFile: r.bundle_file,
      join: JSON.parse(r.join_spec) as FlashJoin,
      clusterId: r.cluster_id,
      createdAt: r.created_at,
      finishedAt:
        active || !boxes.length
          ? null
          : (boxes
              .map((b) => b.updatedAt)
              .sort()
              .at(-1) ?? null),
      counts,
      total: boxes.length,
    };
  }

  detail(runId: string): { run: FlashRun; boxes: FlashBox[] } {
    return { run: this.run(runId), boxes: this.boxRows(runId).map((b) => this.toBox(b)) };
  }

  box(boxId: string): FlashBox {
    return this.toBox(this.boxRow(boxId));
  }

  async retryBox(boxId: string, credentials?: FlashCredentials): Promise<FlashBox> {
    const b = this.boxRow(boxId);
    const job = b.job_id ? this.d.jobs.get(b.job_id) : null;
    if (job && (job.state === 'queued' || job.state === 'running'))
      throw new AppError(FlashErrors.FLASH_BOX_BUSY, {
        en: `${this.labelOf(b)} is still ${job.state}; cancel it before retrying.`,
        zh: `${this.labelOf(b)} 仍在${job.state === 'queued' ? '排队' : '运行'}；请先取消再重试。`,
      });
    const steps = (JSON.parse(b.steps) as StepStatus[]).map((s) =>
      s.state === 'failed' || s.state === 'running' ? { ...s, state: 'pending' as const, error: null } : s,
    );
    this.db
      .prepare(`UPDATE provision_boxes SET state='queued', steps=?, error=NULL, error_step=NULL, updated_at=? WHERE id=?`)
      .run(JSON.stringify(steps), now(), boxId);
    if (credentials)
      this.db
        .prepare('UPDATE provision_boxes SET username=?, credentials=? WHERE id=?')
        .run(credentials.username, this.d.vault.seal(Buffer.from(JSON.stringify(credentials))), boxId);
    if (job) await this.d.jobs.retry(job.id);
    else {
      const j = await this.d.jobs.start(FLASH_BOX_KIND, { boxId });
      this.db.prepare('UPDATE provision_boxes SET job_id=? WHERE id=?').run(j.id, boxId);
    }
    this.emitBox(boxId);
    return this.box(boxId);
  }

  skipBox(boxId: string): FlashBox {
    const b = this.boxRow(boxId);
    this.db.prepare(`UPDATE provision_boxes SET state='skipped', updated_at=? WHERE id=?`).run(now(), boxId);
    const job = b.job_id ? this.d.jobs.get(b.job_id) : null;
    if (job && (job.state === 'queued' || job.state === 'running')) this.d.jobs.cancel(job.id);
    this.emitBox(boxId);
    return this.box(boxId);
  }

  cancelBox(boxId: string): FlashBox {
    const b = this.boxRow(boxId);
    const job = b.job_id ? this.d.jobs.get(b.job_id) : null;
    if (!job || (job.state !== 'queued' && job.state !== 'running'))
      throw new AppError(FlashErrors.FLASH_BOX_BUSY, {
        en: `${this.labelOf(b)} is not running; there is nothing to cancel.`,
        zh: `${this.labelOf(b)} 未在运行，无需取消。`,
      });
    this.d.jobs.cancel(job.id);
    return this.box(boxId);
  }

  cancelRun(runId: string): FlashRun {
    for (const b of this.boxRows(runId)) {
      const job = b.job_id ? this.d.jobs.get(b.job_id) : null;
      if (job && (job.state === 'queued' || job.state === 'running')) this.d.jobs.cancel(job.id);
    }
    return this.run(runId);
  }

  boxLog(boxId: string): { fileName: string; text: string } {
    const b = this.boxRow(boxId);
    const lines = b.job_id ? this.d.jobs.logs(b.job_id) : [];
    const label = this.labelOf(b);
    const head = [`# EdgeForge flash log: ${label} (box ${b.id}, run ${b.run_id})`];
    return {
      fileName: `flash-${label.replace(/[^A-Za-z0-9._-]+/g, '_')}-${b.id}.log`,
      text: `${[...head, ...lines.map((l) => `${l.at} ${l.level.toUpperCase().padEnd(5)} ${l.message}`)].join('\n')}\n`,
    };
  }

  summary(runId: string) {
    const run = this.run(runId);
    const boxes = this.boxRows(runId).map((b) => this.toBox(b));
    const starts = boxes.flatMap((b) => b.steps.map((s) => s.startedAt).filter((s): s is string => Boolean(s))).sort();
    const ends = boxes.flatMap((b) => b.steps.map((s) => s.finishedAt).filter((s): s is string => Boolean(s))).sort();
    const durationSeconds = starts.length && ends.length ? (Date.parse(ends.at(-1)!) - Date.parse(starts[0]!)) / 1000 : null;
    const steps = FLASH_STEPS.map((step) => {
      const st = boxes.map((b) => b.steps.find((s) => s.step === step)!);
      const done = st.filter((s) => s.state === 'done');
      const secs = done.filter((s) => s.startedAt && s.finishedAt).map((s) => (Date.parse(s.finishedAt!) - Date.parse(s.startedAt!)) / 1000);
      return {
        step,
        done: done.length,
        failed: st.filter((s) => s.state === 'failed').length,
        meanSeconds: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : null,
      };
    });
    return {
      run,
      durationSeconds,
      steps,
      failures: boxes.filter((b) => b.error).map((b) => ({ boxId: b.id, label: b.label, step: b.error!.step, message: b.error!.message })),
      activated: boxes.filter((b) => b.seat !== null && b.serial).map((b) => ({ label: b.label, serial: b.serial!, seat: b.seat!, nodeName: b.nodeName })),
    };
  }

  /** Hosts of an IPv4 range that answer on the port with an SSH banner (RFC 4253 §4.2). */
  async scanSsh(input: {
    from: string;
    to: string;
    port: number;
    timeoutMs: number;
  }): Promise<{ host: string; port: number; banner: string; known: boolean }[]> {
    const toN = (ip: string) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
    const toIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
    const hosts: string[] = [];
    for (let n = toN(input.from); n <= toN(input.to); n++) hosts.push(toIp(n));
    const hits: { host: string; port: number; banner: string; known: boolean }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < hosts.length) {
        const host = hosts[next++]!;
        const banner = await sshBanner(host, input.port, input.timeoutMs);
        if (banner) hits.push({ host, port: input.port, banner, known: Boolean(this.d.knownHosts.get(host, input.port)) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(64, hosts.length) }, worker));
    return hits.sort((a, b) => toN(a.host) - toN(b.host));
  }

  /** Re-trust after a reinstall: records the host's key only if it is the one the user confirmed. */
  async trustHostKey(host: string, port: number, fingerprint: string) {
    const presented = await presentedKey(host, port);
    if (!presented || presented.fingerprint !== fingerprint)
      throw new AppError('SSH_HOSTKEY_MISMATCH', {
        en: `${host}:${port} presents ${presented?.fingerprint ?? 'no key (is it reachable?)'}, not ${fingerprint}. Nothing was changed.`,
        zh: `${host}:${port} 提供的密钥为 ${presented?.fingerprint ?? '无（是否可达？）'}，而非 ${fingerprint}。未做任何更改。`,
      });
    this.d.knownHosts.retrust(host, port, presented.blob);
    return this.d.knownHosts.get(host, port)!;
  }

  // ------------------------------------------------------------ the job

  private async runBox(ctx: JobContext, boxId: string): Promise<unknown> {
    const b = this.boxRow(boxId);
    if (b.state === 'skipped') {
      ctx.log('Skipped by the user');
      return { skipped: true };
    }
    const run = this.runRow(b.run_id);
    const batch = this.d.batches.get(run.batch_id);
    const combo = this.d.combos.get(batch.comboId);
    const model = this.modelSpec(combo.spec.modelId, combo.spec.modelRevision);
    const join = JSON.parse(run.join_spec) as FlashJoin;
    const creds = JSON.parse(this.d.vault.open(b.credentials, `the credentials of box ${this.labelOf(b)}`).toString('utf8')) as FlashCredentials;
    const target = JSON.parse(b.target) as FlashTarget;
    this.setBox(boxId, { state: 'running', error: null, error_step: null });
    let shell: RemoteShell | null = null;
    const getShell = async (): Promise<RemoteShell> => {
      shell ??= await this.connect(boxId, target, creds, model, ctx);
      return shell;
    };
    const drop = async () => {
      const s = shell;
      shell = null;
      await s?.close().catch(() => undefined);
    };
    const steps: Record<FlashStep, () => Promise<string | null>> = {
      connect: async () => {
        await drop();
        const s = await getShell();
        const hk = this.boxRow(boxId).host_key;
        return hk ? `${s.label}, host key ${(JSON.parse(hk) as { fingerprint: string }).fingerprint}` : s.label;
      },
      probe: () => this.stepProbe(boxId, getShell(), model, ctx),
      upload: () => this.stepUpload(boxId, run, getShell(), ctx),
      verify: () => this.stepVerify(boxId, run, getShell(), ctx),
      install: () => this.stepInstall(boxId, getShell(), ctx),
      activate: () => this.stepActivate(boxId, batch.id, getShell(), ctx),
      join: () => (join.mode === 'none' ? Promise.resolve(null) : this.stepJoin(boxId, run, join, combo.spec.nodeLabels, model, batch, getShell(), ctx)),
      ready: () => this.stepReady(boxId, run, join, getShell(), ctx),
    };
    try {
      for (const step of FLASH_STEPS) {
        const st = this.steps(boxId).find((s) => s.step === step)!;
        if (st.state === 'done' || st.state === 'skipped') continue;
        if (step === 'join' && join.mode === 'none') {
          this.setStep(boxId, step, { state: 'skipped', note: 'no cluster join in this run' });
          continue;
        }
        for (let attempt = 1; ; attempt++) {
          this.setStep(boxId, step, { state: 'running', attempts: st.attempts + attempt, startedAt: now(), finishedAt: null, error: null });
          ctx.log(`${step}: start${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
          try {
            const note = await steps[step]();
            this.setStep(boxId, step, { state: 'done', finishedAt: now(), note });
            ctx.log(`${step}: done${note ? `: ${note}` : ''}`);
            break;
          } catch (e) {
            if (ctx.signal.aborted) {
              this.setStep(boxId, step, { state: 'pending', finishedAt: null });
              throw e;
            }
            const data = e instanceof AppError ? e.toData() : { ...internalErrorData(), message: { en: (e as Error).message, zh: (e as Error).message } };
            if (e instanceof AppError && TRANSIENT.has(e.code) && attempt < MAX_ATTEMPTS) {
              const wait = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
              ctx.log(`${step}: ${data.message.en}; retrying in ${wait / 1000} s on a new connection`, 'warn');
              await drop();
              await sleep(wait, undefined, { signal: ctx.signal });
              if (step !== 'connect') await getShell();
              continue;
            }
            this.setStep(boxId, step, { state: 'failed', finishedAt: now(), error: data });
            this.setBox(boxId, { state: 'failed', error: JSON.stringify(data), error_step: step });
            ctx.log(`${step} failed: ${data.message.en}`, 'error');
            throw e instanceof AppError ? e : new AppError(data.code, data.message);
          }
        }
      }
      this.setBox(boxId, { state: 'succeeded' });
      const fin = this.boxRow(boxId);
      return { seat: fin.seat, serial: fin.serial, nodeName: fin.node_name };
    } finally {
      await drop();
      this.emitBox(boxId);
    }
  }

  /**
   * How the terminal reaches a flashed box over SSH: its address (after a
   * serial bootstrap, the address given to it) and the credentials the
   * station keeps sealed for it.
   */
  sshAccess(boxId: string): SshTarget & { label: string } {
    const b = this.boxRow(boxId);
    const target = JSON.parse(b.target) as FlashTarget;
    const creds = JSON.parse(this.d.vault.open(b.credentials, `the credentials of box ${this.labelOf(b)}`).toString('utf8')) as FlashCredentials;
    let host: string;
    let port: number;
    let legacy = false;
    if (target.transport === 'ssh') {
      host = target.host;
      port = target.port;
      legacy = target.legacyAlgorithms;
    } else if (target.bootstrap) {
      host = target.bootstrap.sshHost ?? target.bootstrap.address.replace(/\/\d+$/, '');
      port = target.bootstrap.sshPort;
    } else
      throw new AppError(
        FlashErrors.NO_SSH,
        {
          en: `${this.labelOf(b)} is reached only on its serial console (${target.path}); open a serial terminal on that port instead.`,
          zh: `${this.labelOf(b)} 只能通过串口控制台（${target.path}）访问；请改为在该端口打开串口终端。`,
        },
        { field: ['boxId'] },
      );
    const out: SshTarget & { label: string } = { host, port, username: creds.username, label: this.labelOf(b) };
    if (creds.password) out.password = creds.password;
    if (creds.privateKey) out.privateKey = creds.privateKey;
    if (creds.passphrase) out.passphrase = creds.passphrase;
    if (legacy) out.algorithms = LEGACY_ALGORITHMS;
    return out;
  }

  private async connect(boxId: string, target: FlashTarget, creds: FlashCredentials, model: HardwareModelSpec, ctx: JobContext): Promise<RemoteShell> {
    const log = (l: string) => ctx.log(l);
    if (target.transport === 'ssh') return this.sshTo(boxId, { host: target.host, port: target.port, legacy: target.legacyAlgorithms }, creds, ctx);
    const consolePort = model.serialPorts.find((p) => p.provisioningConsole) ?? model.serialPorts.find((p) => p.role === 'console');
    const line = {
      baud: target.baud ?? consolePort?.baud ?? 115200,
      dataBits: consolePort?.dataBits ?? 8,
      parity: consolePort?.parity ?? 'none',
      stopBits: consolePort?.stopBits ?? 1,
      flowControl: consolePort?.flowControl ?? 'none',
    } as const;
    const serial = await openSerialShell({
      path: target.path,
      line,
      username: creds.username,
      password: creds.password,
      sudoPassword: creds.sudoPassword ?? creds.password,
      signal: ctx.signal,
      log,
    });
    if (!target.bootstrap) return serial;
    try {
      const address = await bootstrapNetwork(serial, {
        nic: target.bootstrap.nic,
        address: target.bootstrap.address,
        gateway: target.bootstrap.gateway ?? undefined,
        startSsh: true,
      });
      ctx.log(`network bootstrap over ${target.path}: ${target.bootstrap.nic} ${address}, sshd started; bulk transfer goes over SSH`);
      const host = target.bootstrap.sshHost ?? address.replace(/\/\d+$/, '');
      return await this.sshTo(boxId, { host, port: target.bootstrap.sshPort, legacy: false }, creds, ctx);
    } finally {
      await serial.close().catch(() => undefined);
    }
  }

  private async sshTo(boxId: string, t: { host: string; port: number; legacy: boolean }, creds: FlashCredentials, ctx: JobContext): Promise<SshShell> {
    const target: SshTarget = { host: t.host, port: t.port, username: creds.username };
    if (creds.password) target.password = creds.password;
    if (creds.privateKey) target.privateKey = creds.privateKey;
    if (creds.passphrase) target.passphrase = creds.passphrase;
    if (creds.sudoPassword) target.sudoPassword = creds.sudoPassword;
    if (t.legacy) target.algorithms = LEGACY_ALGORITHMS;
    const shell = await SshShell.connect(target, { knownHosts: this.d.knownHosts, signal: ctx.signal, log: (l) => ctx.log(l) });
    this.setBox(boxId, { host_key: JSON.stringify(shell.hostKey) });
    return shell;
  }

  private async stepProbe(boxId: string, shellP: Promise<RemoteShell>, model: HardwareModelSpec, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const hw = await probeBox(shell, ctx.signal);
    const b = this.boxRow(boxId);
    const checks = compareWithModel(hw, model, b.label_serial);
    const facts = this.facts(boxId);
    facts.clusterAddress = clusterAddress(hw, model);
    this.setBox(boxId, { hardware: JSON.stringify(hw), checks: JSON.stringify(checks), facts: JSON.stringify(facts) });
    const bad = checks.filter((c) => !c.ok);
    for (const c of checks) ctx.log(`  ${c.ok ? 'OK  ' : 'FAIL'} ${c.check}: want ${c.want}; found ${c.found}`, c.ok ? 'info' : 'warn');
    if (bad.length) throw mismatchError(this.labelOf(b), checks);
    return `${hw.arch}, ${hw.cpuCores} cores, ${hw.memoryMiB} MiB, ${hw.nics.length} NICs, DMI serial ${hw.dmi.serial || '-'}`;
  }

  private async stepUpload(boxId: string, run: RunRow, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const user = this.boxRow(boxId).username;
    const mk = await shell.exec(`mkdir -p ${BOX_UPLOADS} && chmod 0700 ${BOX_UPLOADS}${user === 'root' ? '' : ` && chown ${q(user)} ${BOX_UPLOADS}`}`, {
      signal: ctx.signal,
    });
    if (mk.code !== 0)
      throw new AppError('UPLOAD_FAILED', {
        en: `Cannot make ${BOX_UPLOADS} on ${shell.label}: ${mk.stderr.trim() || mk.stdout.trim()}`,
        zh: `无法在 ${shell.label} 上创建 ${BOX_UPLOADS}：${mk.stderr.trim() || mk.stdout.trim()}`,
      });
    const remote = `${BOX_UPLOADS}/${path.basename(run.bundle_file)}`;
    if (shell instanceof SerialShell) {
      // A bundle is large for a serial line: say how long it takes, and refuse what would take hours.
      const advice = serialTransferAdvice(run.bundle_size, shell.lineSettings, MAX_SERIAL_SECONDS);
      if (!advice.fits) throw new AppError(FlashErrors.FLASH_SERIAL_TOO_SLOW, advice.message);
      ctx.log(`upload over serial: ${advice.message.en}`);
    }
    const started = Date.now();
    let first = true;
    const mib = (n: number) => (n / 1048576).toFixed(1);
    await shell.upload(run.bundle_file, remote, {
      sha256: run.bundle_sha256,
      signal: ctx.signal,
      onProgress: (done, total) => {
        if (first && done > 0 && done < total) ctx.log(`upload: resumed at ${mib(done)} MiB of ${mib(total)} MiB (verified on the box)`);
        first = false;
        ctx.progress(done, total);
      },
    });
    const facts = this.facts(boxId);
    facts.bundleRemote = remote;
    this.setBox(boxId, { facts: JSON.stringify(facts) });
    const secs = (Date.now() - started) / 1000;
    return `${(run.bundle_size / 1048576).toFixed(1)} MiB to ${remote} in ${secs.toFixed(1)} s`;
  }

  private async stepVerify(boxId: string, run: RunRow, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const remote = this.facts(boxId).bundleRemote ?? `${BOX_UPLOADS}/${path.basename(run.bundle_file)}`;
    // Read back from the box's disk, never trusted from the upload's own bookkeeping.
    const sum = await shell.exec(`sha256sum ${q(remote)}`, { timeoutMs: 30 * 60_000, signal: ctx.signal });
    const got = /^([0-9a-f]{64})/.exec(sum.stdout)?.[1] ?? null;
    if (got !== run.bundle_sha256)
      throw new AppError('UPLOAD_CORRUPT', {
        en: `The bundle on ${shell.label} reads back as sha256 ${got ?? '(unreadable)'}, not ${run.bundle_sha256}.`,
        zh: `${shell.label} 上的安装包回读 sha256 为 ${got ?? '（无法读取）'}，应为 ${run.bundle_sha256}。`,
      });
    const dir = `${BOX_BUNDLES}/${run.bundle_sha256.slice(0, 16)}`;
    const unpack = /\.zst$/.test(remote) ? `zstd -dc ${q(remote)} | tar -xf - -C ${q(`${dir}.tmp`)}` : `tar -xf ${q(remote)} -C ${q(`${dir}.tmp`)}`;
    const ex = await shell.exec(
      `if [ ! -d ${q(dir)} ]; then rm -rf ${q(`${dir}.tmp`)} && mkdir -p ${q(`${dir}.tmp`)} && ${unpack} && mv ${q(`${dir}.tmp`)} ${q(dir)}; fi && ls ${q(dir)}`,
      { timeoutMs: 30 * 60_000, signal: ctx.signal },
    );
    const top = ex.stdout.trim().split('\n').filter(Boolean);
    if (ex.code !== 0 || top.length !== 1)
      throw new AppError(FlashErrors.FLASH_VERIFY_FAILED, {
        en: `The bundle could not be unpacked on ${shell.label}: ${(ex.stderr || ex.stdout).trim().split('\n').slice(-2).join(' ')}`,
        zh: `无法在 ${shell.label} 上解包安装包：${(ex.stderr || ex.stdout).trim().split('\n').slice(-2).join(' ')}`,
      });
    const bundleDir = `${dir}/${top[0]}`;
    const facts = this.facts(boxId);
    facts.bundleDir = bundleDir;
    this.setBox(boxId, { facts: JSON.stringify(facts) });
    // The installer's own checks: the signatures, every file's sha256, and the hardware.
    const pf = await shell.exec(`sh ${q(`${bundleDir}/install.sh`)} preflight`, { timeoutMs: 30 * 60_000, signal: ctx.signal });
    for (const l of pf.stdout.split('\n').filter((x) => x.trim())) ctx.log(`  box: ${l.trim()}`);
    if (pf.code !== 0) throw installError(shell.label, 'preflight', pf);
    return `sha256 read back; signatures and ${top[0]} files verified by the box's installer`;
  }

  private async stepInstall(boxId: string, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const dir = this.facts(boxId).bundleDir;
    if (!dir)
      throw new AppError(FlashErrors.FLASH_VERIFY_FAILED, { en: 'The bundle was not unpacked; retry from verify.', zh: '安装包尚未解包；请从校验步骤重试。' });
    let buffer = '';
    let last = '';
    const r = await shell.exec(`sh ${q(`${dir}/install.sh`)} install`, {
      timeoutMs: 60 * 60_000,
      signal: ctx.signal,
      onStdout: (chunk) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i).replace(/\r$/, '');
          buffer = buffer.slice(i + 1);
          const m = /^EDGEFORGE-BUNDLE step=(\d+)\/(\d+) name=(\S+) state=(\S+)(?: msg="(.*)")?/.exec(line);
          if (m) {
            last = `${m[3]} ${m[4]}`;
            this.setStep(boxId, 'install', { note: `installer step ${m[1]}/${m[2]} ${m[3]}: ${m[4]}${m[5] ? ` (${m[5]})` : ''}` });
            ctx.log(`  box: ${line}`);
          } else if (line.trim()) ctx.log(`  box: ${line.trim()}`);
        }
      },
    });
    if (r.code !== 0) throw installError(shell.label, 'install', r);
    return `installer finished (${last || 'no steps reported'})`;
  }

  private async stepActivate(boxId: string, batchId: string, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const dir = this.facts(boxId).bundleDir!;
    const installer = q(`${dir}/install.sh`);
    const req = await shell.exec(`sh ${installer} request`, { signal: ctx.signal });
    const code = /^EDGEFORGE-REQUEST (\S+)/m.exec(req.stdout)?.[1];
    if (req.code !== 0 || !code) throw installError(shell.label, 'request', req);
    // Spends a seat (or finds this box's own): the ledger commits before the reply leaves the station.
    const a = this.d.activation.activate(code, { holder: `flash:${boxId}` });
    if (a.batchId !== batchId)
      throw new AppError(FlashErrors.FLASH_ACTIVATION_FAILED, {
        en: `The box asked for batch ${a.batchId}, not ${batchId}.`,
        zh: `设备请求的批次为 ${a.batchId}，而非 ${batchId}。`,
      });
    ctx.log(`seat ${a.seat} (${a.serial})${a.reactivation ? ', the box’s own seat again' : ''}`);
    const replyPath = '/var/lib/edgeforge/reply.txt';
    const w = await shell.exec(`umask 077 && cat > ${replyPath}`, { stdin: a.file, signal: ctx.signal });
    if (w.code !== 0) throw installError(shell.label, 'activate', w);
    const act = await shell.exec(`sh ${installer} activate ${replyPath}`, { signal: ctx.signal });
    const ok = /EDGEFORGE-ACTIVATION state=activated seat=(\d+) serial=(\S+)/.exec(act.stdout);
    if (act.code !== 0 || !ok) throw installError(shell.label, 'activate', act);
    this.setBox(boxId, { seat: Number(ok[1]), serial: ok[2]! });
    return `seat ${ok[1]}, serial ${ok[2]}${a.reactivation ? ' (reactivation)' : ''}`;
  }

  private async stepJoin(
    boxId: string,
    run: RunRow,
    join: Exclude<FlashJoin, { mode: 'none' }>,
    comboLabels: Record<string, string>,
    model: HardwareModelSpec,
    batch: { id: string; modelName: string; modelRevision: number },
    shellP: Promise<RemoteShell>,
    ctx: JobContext,
  ): Promise<string> {
    const shell = await shellP;
    const b = this.boxRow(boxId);
    const clusterId = run.cluster_id!;
    const role = b.role ?? 'agent';
    let nodeName = b.node_name;
    if (!nodeName) {
      const base = b.serial ?? b.label_serial ?? b.id;
      for (let n = 1; ; n++) {
        const candidate = nodeNameFromSerial(base, n === 1 ? '' : `-${n}`);
        if (this.d.clusters.claimNode(clusterId, candidate, role, boxId)) {
          nodeName = candidate;
          break;
        }
      }
    } else if (!this.d.clusters.claimNode(clusterId, nodeName, role, boxId))
      throw new AppError('JOIN_NODE_NAME', {
        en: `Node name ${nodeName} is taken by another box of this cluster.`,
        zh: `节点名称 ${nodeName} 已被该集群的另一台设备使用。`,
      });
    this.setBox(boxId, { node_name: nodeName });
    const facts = this.facts(boxId);
    const address = facts.clusterAddress ?? this.sshHostOf(b);
    const init = join.mode === 'new' && b.position === 0;
    let serverUrl: string | null = null;
    if (!init) {
      this.setBox(boxId, { state: 'waiting' });
      this.emitBox(boxId);
      const first = await this.firstServer(run, ctx);
      this.setBox(boxId, { state: 'running' });
      serverUrl = `https://${first}:6443`;
    }
    const labels: Record<string, string> = { ...comboLabels };
    if (b.serial) labels['edgeforge.io/serial'] = labelValue(b.serial);
    labels['edgeforge.io/batch'] = labelValue(batch.id);
    labels['edgeforge.io/model'] = labelValue(batch.modelName) || 'model';
    labels['edgeforge.io/model-revision'] = String(batch.modelRevision);
    for (const a of model.accelerators) labels[`edgeforge.io/${a.kind === 'openvino' ? `openvino-${a.device}` : a.kind}`] = String(a.count);
    await joinBox(
      shell,
      { role, init, nodeName, token: this.d.clusters.token(clusterId), serverUrl, nodeIp: facts.clusterAddress ?? null, labels, bundleDir: facts.bundleDir! },
      { signal: ctx.signal, log: (l) => ctx.log(l) },
    );
    if (init) {
      const raw = await readKubeconfig(shell, { signal: ctx.signal });
      const endpoint = join.mode === 'new' && join.apiEndpoint ? join.apiEndpoint : `https://${address}:6443`;
      this.d.clusters.setKubeconfig(clusterId, endpoint, rewriteServer(raw, endpoint));
      ctx.log(`kubeconfig fetched, server rewritten to ${endpoint}, sealed in the vault`);
    }
    this.d.clusters.nodeJoined(clusterId, nodeName, address);
    return `${role}${init ? ' (cluster-init)' : ''} ${nodeName}${serverUrl ? ` → ${serverUrl}` : ''}`;
  }

  /** The first server's address once it has joined; fails at once if its box failed or was skipped. */
  private async firstServer(run: RunRow, ctx: JobContext): Promise<string> {
    const deadline = Date.now() + 60 * 60_000;
    let waited = false;
    for (;;) {
      const nodes = this.d.clusters.nodes(run.cluster_id!);
      const server = nodes.find((n) => n.role === 'server' && n.joinedAt && n.address);
      if (server) return server.address!;
      const join = JSON.parse(run.join_spec) as FlashJoin;
      if (join.mode === 'new') {
        const first = this.db.prepare('SELECT * FROM provision_boxes WHERE run_id=? AND position=0').get(run.id) as BoxRow | undefined;
        const state = first ? this.toBox(first).state : 'failed';
        if (['failed', 'skipped', 'cancelled'].includes(state))
          throw new AppError(FlashErrors.FLASH_SERVER_NOT_READY, {
            en: `The cluster's first server (${first ? this.labelOf(first) : 'none'}) is ${state}; this box cannot join until it has. Retry it after the server.`,
            zh: `集群的第一台服务器（${first ? this.labelOf(first) : '无'}）状态为 ${state}；在其完成前此设备无法加入。请在服务器完成后重试。`,
          });
      }
      if (Date.now() > deadline)
        throw new AppError(FlashErrors.FLASH_SERVER_NOT_READY, {
          en: 'No server of this cluster finished joining within an hour.',
          zh: '该集群没有服务器在一小时内完成加入。',
        });
      if (!waited) ctx.log('waiting for the cluster’s first server to join', 'info');
      waited = true;
      await sleep(2000, undefined, { signal: ctx.signal });
    }
  }

  private async stepReady(boxId: string, run: RunRow, join: FlashJoin, shellP: Promise<RemoteShell>, ctx: JobContext): Promise<string> {
    const shell = await shellP;
    const dir = this.facts(boxId).bundleDir!;
    const st = await shell.exec(`sh ${q(`${dir}/install.sh`)} status`, { signal: ctx.signal });
    const m = /EDGEFORGE-STATUS state=(\S+)/.exec(st.stdout);
    if (m?.[1] !== 'activated')
      throw new AppError(FlashErrors.FLASH_NOT_ACTIVE, {
        en: `The box reads back as "${m?.[1] ?? 'unknown'}", not activated.`,
        zh: `设备回读状态为“${m?.[1] ?? '未知'}”，而非已激活。`,
      });
    if (join.mode === 'none') return 'activated (read back from the box)';
    const b = this.boxRow(boxId);
    const kubeconfig = this.d.clusters.kubeconfig(run.cluster_id!);
    if (!kubeconfig)
      throw new AppError('CLUSTER_NO_KUBECONFIG', {
        en: 'The cluster has no kubeconfig yet: its first server has not finished joining.',
        zh: '该集群尚无 kubeconfig：其第一台服务器尚未完成加入。',
      });
    const node = await waitNodeReady(kubeconfig, b.node_name!, { signal: ctx.signal, timeoutMs: 10 * 60_000 });
    return `node ${node.name} Ready (kubelet ${node.kubeletVersion})`;
  }

  // ------------------------------------------------------------ rows

  private modelSpec(modelId: string, revision: number): HardwareModelSpec {
    const m = this.d.models.get(modelId);
    return m.revisions.find((r) => r.revision === revision)!.spec;
  }

  private runRow(runId: string): RunRow {
    const r = this.db.prepare('SELECT * FROM provision_runs WHERE id=?').get(runId) as RunRow | undefined;
    if (!r) throw new AppError(FlashErrors.FLASH_RUN_NOT_FOUND, { en: `There is no flash run ${runId}.`, zh: `不存在刷机批次 ${runId}。` }, { field: ['id'] });
    return r;
  }

  private boxRows(runId: string): BoxRow[] {
    return this.db.prepare('SELECT * FROM provision_boxes WHERE run_id=? ORDER BY position').all(runId) as BoxRow[];
  }

  private boxRow(boxId: string): BoxRow {
    const r = this.db.prepare('SELECT * FROM provision_boxes WHERE id=?').get(boxId) as BoxRow | undefined;
    if (!r) throw new AppError(FlashErrors.FLASH_BOX_NOT_FOUND, { en: `There is no box ${boxId}.`, zh: `不存在设备 ${boxId}。` }, { field: ['id'] });
    return r;
  }

  private labelOf(b: BoxRow): string {
    return targetLabel(JSON.parse(b.target) as FlashTarget, b.username);
  }

  private sshHostOf(b: BoxRow): string {
    const t = JSON.parse(b.target) as FlashTarget;
    return t.transport === 'ssh' ? t.host : (t.bootstrap?.address.replace(/\/\d+$/, '') ?? '127.0.0.1');
  }

  private facts(boxId: string): Facts {
    return JSON.parse(this.boxRow(boxId).facts) as Facts;
  }

  private steps(boxId: string): StepStatus[] {
    return JSON.parse(this.boxRow(boxId).steps) as StepStatus[];
  }

  private setStep(boxId: string, step: FlashStep, patch: Partial<StepStatus>): void {
    const steps = this.steps(boxId).map((s) => (s.step === step ? { ...s, ...patch } : s));
    this.db.prepare('UPDATE provision_boxes SET steps=?, updated_at=? WHERE id=?').run(JSON.stringify(steps), now(), boxId);
    this.emitBox(boxId);
  }

  private setBox(boxId: string, patch: Partial<Omit<BoxRow, 'id'>>): void {
    const keys = Object.keys(patch);
    if (!keys.length) return;
    this.db
      .prepare(`UPDATE provision_boxes SET ${keys.map((k) => `${k}=?`).join(', ')}, updated_at=? WHERE id=?`)
      .run(...keys.map((k) => (patch as Record<string, unknown>)[k]), now(), boxId);
    this.emitBox(boxId);
  }

  private onJobEvent(e: JobEvent): void {
    if (e.type !== 'job' || e.job.kind !== FLASH_BOX_KIND) return;
    const boxId = (e.job.params as { boxId?: string }).boxId;
    if (!boxId) return;
    this.emitBox(boxId);
  }

  private emitBox(boxId: string): void {
    if (!this.events.listenerCount('event')) return;
    const row = this.db.prepare('SELECT * FROM provision_boxes WHERE id=?').get(boxId) as BoxRow | undefined;
    if (!row) return;
    this.events.emit('event', { type: 'box', box: this.toBox(row) } satisfies FlashEvent);
  }

  private toBox(b: BoxRow): FlashBox {
    const job = b.job_id ? safeJob(this.d.jobs, b.job_id) : null;
    let state: FlashBox['state'];
    if (b.state === 'skipped') state = 'skipped';
    else if (!job) state = (b.state as FlashBox['state']) ?? 'queued';
    else if (job.state === 'running') state = b.state === 'waiting' ? 'waiting' : 'running';
    else state = job.state;
    const steps = JSON.parse(b.steps) as StepStatus[];
    const error = b.error ? { ...(JSON.parse(b.error) as z.infer<typeof ApiErrorDataSchema>), step: (b.error_step as FlashStep | null) ?? null } : null;
    return {
      id: b.id,
      runId: b.run_id,
      position: b.position,
      label: b.label_serial ? `${b.label_serial} · ${this.labelOf(b)}` : this.labelOf(b),
      target: JSON.parse(b.target) as FlashTarget,
      username: b.username,
      labelSerial: b.label_serial,
      state,
      step: (steps.find((s) => s.state === 'running')?.step ?? null) as FlashStep | null,
      steps,
      bytesDone: job?.bytesDone ?? 0,
      bytesTotal: job?.bytesTotal ?? null,
      rateBps: job?.rateBps ?? 0,
      etaSeconds: job?.etaSeconds ?? null,
      hostKey: b.host_key ? (JSON.parse(b.host_key) as { fingerprint: string; firstUse: boolean }) : null,
      hardware: b.hardware ? (JSON.parse(b.hardware) as HardwareReport) : null,
      checks: JSON.parse(b.checks) as HardwareCheck[],
      seat: b.seat,
      serial: b.serial,
      nodeName: b.node_name,
      role: b.role,
      error: state === 'failed' || state === 'interrupted' ? (error ?? (job?.error ? { ...job.error, step: null } : null)) : null,
      jobId: b.job_id,
      updatedAt: b.updated_at,
    };
  }
}

function safeJob(jobs: JobService, jobId: string) {
  try {
    return jobs.get(jobId);
  } catch {
    return null;
  }
}

/** The box's address on the model's cluster NIC, when it has one. */
function clusterAddress(hw: HardwareReport, model: HardwareModelSpec): string | null {
  const nic = model.nics.find((n) => n.role === 'cluster');
  const found = nic ? hw.nics.find((n) => n.name === nic.name) : null;
  return found?.addresses[0]?.replace(/\/\d+$/, '') ?? null;
}

function installError(label: string, what: string, r: { code: number; stdout: string; stderr: string }): AppError {
  const failLine = [...r.stdout.matchAll(/EDGEFORGE-(?:BUNDLE|ACTIVATION) .*state=fail.*?(?:msg="([^"]*)")?$/gm)].at(-1);
  const stepName = /name=(\S+)/.exec(failLine?.[0] ?? '')?.[1];
  const why = failLine?.[1] || (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] || '';
  const meaning = INSTALL_EXIT[r.code];
  const code = what === 'activate' || what === 'request' ? FlashErrors.FLASH_ACTIVATION_FAILED : FlashErrors.FLASH_INSTALL_FAILED;
  return new AppError(code, {
    en: `install.sh ${what} on ${label} exited ${r.code}${meaning ? ` (${meaning.en})` : ''}${stepName ? ` at its step "${stepName}"` : ''}: ${why}`,
    zh: `${label} 上的 install.sh ${what} 以 ${r.code} 退出${meaning ? `（${meaning.zh}）` : ''}${stepName ? `，在其步骤“${stepName}”` : ''}：${why}`,
  });
}

function sshBanner(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    const done = (v: string | null) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('data', (d) => {
      data += d.toString('latin1');
      const line = data.split(/\r?\n/)[0]!;
      if (data.includes('\n')) done(line.startsWith('SSH-') ? line.trim() : null);
    });
    sock.on('error', () => done(null));
    sock.on('close', () => done(null));
  });
}

/** The host key a server presents, by a handshake that goes no further. */
function presentedKey(host: string, port: number): Promise<{ blob: Buffer; fingerprint: string } | null> {
  return new Promise((resolve) => {
    const c = new Client();
    let got: { blob: Buffer; fingerprint: string } | null = null;
    c.on('error', () => resolve(got));
    c.on('close', () => resolve(got));
    c.on('ready', () => c.end());
    c.connect({
      host,
      port,
      username: 'edgeforge-hostkey-check',
      readyTimeout: 15_000,
      hostVerifier: (key: Buffer) => {
        got = { blob: Buffer.from(key), fingerprint: hostKeyFingerprint(key) };
        return false;
      },
    });
  });
}
