/**
 * The job service: long work (imports, builds, flashing) with progress,
 * rate, ETA, log lines, cancel, and a persisted state.
 *
 * A job never just vanishes: every state change is written to jobs_jobs;
 * progress is written at most once a second while running. At start, the
 * owner marks whatever was queued or running as "interrupted", which the
 * user may retry.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Job, JobEvent, JobLogLine, JobState } from '../api/contract';
import { AppError, internalErrorData, type ApiErrorData, type LocalizedText } from '../api/errors';
import type { Db } from '../store';

export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Report bytes done, and the total when known. */
  progress(done: number, total?: number | null): void;
  log(message: string, level?: JobLogLine['level']): void;
}

export interface JobKind<P extends Record<string, unknown> = Record<string, unknown>, R = unknown> {
  kind: string;
  title(params: P): LocalizedText;
  /** Checked when the job is created and again when it is retried. */
  validate?(params: P): Promise<void> | void;
  run(ctx: JobContext, params: P): Promise<R>;
  /**
   * Jobs of a pooled kind run beside the others under their own limit (the
   * flashing station's: tens of boxes at once, while builds keep theirs).
   */
  pool?: { name: string; limit: () => number };
  /** Queued again at start, not marked interrupted: the job resumes from its own persisted steps. */
  resumeOnRestart?: boolean;
  /** What its progress counts (bytes when omitted). */
  unit?: 'bytes' | 'items';
}

export const JobErrors = {
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  JOB_NOT_CANCELLABLE: 'JOB_NOT_CANCELLABLE',
  JOB_NOT_RETRYABLE: 'JOB_NOT_RETRYABLE',
  JOB_STILL_ACTIVE: 'JOB_STILL_ACTIVE',
  JOB_KIND_UNKNOWN: 'JOB_KIND_UNKNOWN',
} as const;

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'running']);
const RATE_WINDOW_MS = 5000;
const PERSIST_EVERY_MS = 1000;
const EMIT_EVERY_MS = 200;

interface Row {
  id: string;
  kind: string;
  title: string;
  params: string;
  state: JobState;
  bytes_done: number;
  bytes_total: number | null;
  attempt: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  result: string | null;
}

interface Live {
  controller: AbortController;
  samples: { t: number; bytes: number }[];
  lastPersist: number;
  lastEmit: number;
  rateBps: number;
  done: Promise<void>;
  pool: string;
}

function newJobId(): string {
  return `job_${Date.now().toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}

function interruptedError(): ApiErrorData {
  return {
    code: 'JOB_INTERRUPTED',
    message: {
      en: 'EdgeForge stopped while this job was unfinished. Retry it to run it again.',
      zh: 'EdgeForge 在此作业完成前停止了。可重试以再次运行。',
    },
  };
}

function notFound(id: string): AppError {
  return new AppError(JobErrors.JOB_NOT_FOUND, { en: `There is no job ${id}.`, zh: `不存在作业 ${id}。` }, { field: ['id'] });
}

export interface JobServiceOptions {
  /** How many jobs run at once. A laptop does best with few. */
  concurrency?: number;
  now?: () => number;
}

export class JobService {
  private readonly kinds = new Map<string, JobKind<never>>();
  private readonly live = new Map<string, Live>();
  private readonly events = new EventEmitter();
  private readonly concurrency: number;
  private readonly now: () => number;
  private closing = false;

  constructor(
    private readonly db: Db,
    options: JobServiceOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.now = options.now ?? Date.now;
    this.events.setMaxListeners(0);
  }

  register<P extends Record<string, unknown>, R>(kind: JobKind<P, R>): void {
    if (this.kinds.has(kind.kind)) throw new Error(`job kind registered twice: ${kind.kind}`);
    this.kinds.set(kind.kind, kind as unknown as JobKind<never>);
  }

  /** Called once by the data directory's owner at start. Returns how many jobs were marked. */
  recoverInterrupted(): number {
    const resumable = this.resumableKinds();
    const ids = resumable.length
      ? (this.db
          .prepare(`SELECT id FROM jobs_jobs WHERE state IN ('queued','running') AND kind IN (${resumable.map(() => '?').join(',')})`)
          .all(...resumable) as { id: string }[])
      : [];
    for (const { id } of ids) {
      this.db.prepare(`UPDATE jobs_jobs SET state='queued', attempt=attempt+1, started_at=NULL WHERE id=?`).run(id);
      this.appendLog(id, 'warn', 'EdgeForge restarted while this job was unfinished: it resumes from its last completed step');
    }
    return this.markInterrupted();
  }

  private resumableKinds(): string[] {
    return [...this.kinds.values()].filter((k) => k.resumeOnRestart).map((k) => k.kind);
  }

  /** Queued or running jobs that cannot resume by themselves become "interrupted". */
  private markInterrupted(): number {
    const resumable = this.resumableKinds();
    const res = this.db
      .prepare(
        `UPDATE jobs_jobs SET state='interrupted', finished_at=?, error=? WHERE state IN ('queued','running')` +
          (resumable.length ? ` AND kind NOT IN (${resumable.map(() => '?').join(',')})` : ''),
      )
      .run(new Date(this.now()).toISOString(), JSON.stringify(interruptedError()), ...resumable);
    return res.changes;
  }

  subscribe(listener: (event: JobEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  list(filter: { states?: JobState[]; limit?: number } = {}): Job[] {
    const limit = filter.limit ?? 200;
    const rows = filter.states?.length
      ? (this.db
          .prepare(`SELECT * FROM jobs_jobs WHERE state IN (${filter.states.map(() => '?').join(',')}) ORDER BY created_at DESC, id DESC LIMIT ?`)
          .all(...filter.states, limit) as Row[])
      : (this.db.prepare('SELECT * FROM jobs_jobs ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as Row[]);
    return rows.map((r) => this.toJob(r));
  }

  get(id: string): Job {
    return this.toJob(this.row(id));
  }

  logs(id: string, afterSeq = -1): JobLogLine[] {
    this.row(id);
    const rows = this.db.prepare('SELECT job_id, seq, at, level, message FROM jobs_log WHERE job_id = ? AND seq > ? ORDER BY seq').all(id, afterSeq) as {
      job_id: string;
      seq: number;
      at: string;
      level: JobLogLine['level'];
      message: string;
    }[];
    return rows.map((r) => ({ jobId: r.job_id, seq: r.seq, at: r.at, level: r.level, message: r.message }));
  }

  async start<P extends Record<string, unknown>>(kindName: string, params: P): Promise<Job> {
    const kind = this.kind(kindName);
    await kind.validate?.(params as never);
    const id = newJobId();
    this.db
      .prepare(`INSERT INTO jobs_jobs (id, kind, title, params, state, created_at) VALUES (?, ?, ?, ?, 'queued', ?)`)
      .run(id, kindName, JSON.stringify(kind.title(params as never)), JSON.stringify(params), new Date(this.now()).toISOString());
    this.appendLog(id, 'info', 'Queued');
    this.emitJob(id);
    this.pump();
    return this.get(id);
  }

  cancel(id: string): Job {
    const job = this.get(id);
    if (job.state === 'queued') {
      this.finish(id, 'cancelled', null, null);
      this.appendLog(id, 'warn', 'Cancelled before it started');
      this.emitJob(id);
    } else if (job.state === 'running') {
      this.live.get(id)?.controller.abort('cancel');
    } else {
      throw new AppError(JobErrors.JOB_NOT_CANCELLABLE, {
        en: `Job ${id} has already ended (${job.state}); there is nothing to cancel.`,
        zh: `作业 ${id} 已结束（${job.state}），无需取消。`,
      });
    }
    return this.get(id);
  }

  async retry(id: string): Promise<Job> {
    const job = this.get(id);
    if (!['failed', 'cancelled', 'interrupted'].includes(job.state)) {
      throw new AppError(JobErrors.JOB_NOT_RETRYABLE, {
        en: `Job ${id} is ${job.state}; only failed, cancelled or interrupted jobs can be retried.`,
        zh: `作业 ${id} 的状态为 ${job.state}；只有失败、已取消或已中断的作业可以重试。`,
      });
    }
    await this.kind(job.kind).validate?.(job.params as never);
    this.db
      .prepare(
        `UPDATE jobs_jobs SET state='queued', attempt=attempt+1, bytes_done=0, bytes_total=NULL,
                started_at=NULL, finished_at=NULL, error=NULL, result=NULL WHERE id=?`,
      )
      .run(id);
    this.appendLog(id, 'info', `Retry (attempt ${job.attempt + 1})`);
    this.emitJob(id);
    this.pump();
    return this.get(id);
  }

  remove(id: string): void {
    const job = this.get(id);
    if (ACTIVE.has(job.state)) {
      throw new AppError(JobErrors.JOB_STILL_ACTIVE, {
        en: `Job ${id} is still ${job.state}. Cancel it before removing it.`,
        zh: `作业 ${id} 仍处于 ${job.state} 状态。请先取消再删除。`,
      });
    }
    this.db.prepare('DELETE FROM jobs_jobs WHERE id=?').run(id);
    this.events.emit('event', { type: 'removed', jobId: id } satisfies JobEvent);
  }

  /** Starts queued jobs (those resumed at start, once every kind is registered). */
  resumeQueued(): void {
    this.pump();
  }

  /** Aborts running jobs, records them as interrupted, and waits for them to stop. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const waits = [...this.live.values()].map((l) => {
      l.controller.abort('shutdown');
      return l.done;
    });
    await Promise.allSettled(waits);
    this.markInterrupted();
  }

  // ------------------------------------------------------------ internals

  private kind(name: string): JobKind<never> {
    const kind = this.kinds.get(name);
    if (!kind) {
      throw new AppError(JobErrors.JOB_KIND_UNKNOWN, {
        en: `This version of EdgeForge cannot run jobs of kind "${name}".`,
        zh: `此版本的 EdgeForge 无法运行“${name}”类型的作业。`,
      });
    }
    return kind;
  }

  private row(id: string): Row {
    const row = this.db.prepare('SELECT * FROM jobs_jobs WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound(id);
    return row;
  }

  private toJob(r: Row): Job {
    const live = this.live.get(r.id);
    const rate = live?.rateBps ?? 0;
    const remaining = r.bytes_total !== null ? Math.max(0, r.bytes_total - r.bytes_done) : null;
    return {
      id: r.id,
      kind: r.kind,
      title: JSON.parse(r.title) as LocalizedText,
      params: JSON.parse(r.params) as Record<string, unknown>,
      state: r.state,
      bytesDone: r.bytes_done,
      bytesTotal: r.bytes_total,
      unit: this.kinds.get(r.kind)?.unit ?? 'bytes',
      rateBps: rate,
      etaSeconds: r.state === 'running' && remaining !== null && rate > 0 ? remaining / rate : null,
      attempt: r.attempt,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      error: r.error ? (JSON.parse(r.error) as ApiErrorData) : null,
      result: r.result ? (JSON.parse(r.result) as unknown) : null,
    };
  }

  private emitJob(id: string): void {
    this.events.emit('event', { type: 'job', job: this.get(id) } satisfies JobEvent);
  }

  private appendLog(id: string, level: JobLogLine['level'], message: string): void {
    const at = new Date(this.now()).toISOString();
    const { seq } = this.db.prepare('SELECT COALESCE(MAX(seq), -1) + 1 AS seq FROM jobs_log WHERE job_id = ?').get(id) as { seq: number };
    this.db.prepare('INSERT INTO jobs_log (job_id, seq, at, level, message) VALUES (?, ?, ?, ?, ?)').run(id, seq, at, level, message);
    this.events.emit('event', { type: 'log', line: { jobId: id, seq, at, level, message } } satisfies JobEvent);
  }

  private finish(id: string, state: JobState, error: ApiErrorData | null, result: unknown): void {
    this.db
      .prepare('UPDATE jobs_jobs SET state=?, finished_at=?, error=?, result=? WHERE id=?')
      .run(
        state,
        new Date(this.now()).toISOString(),
        error ? JSON.stringify(error) : null,
        result === null || result === undefined ? null : JSON.stringify(result),
        id,
      );
  }

  private pump(): void {
    if (this.closing) return;
    const queued = this.db.prepare(`SELECT id, kind FROM jobs_jobs WHERE state='queued' ORDER BY created_at, id`).all() as { id: string; kind: string }[];
    const running = new Map<string, number>();
    for (const l of this.live.values()) running.set(l.pool, (running.get(l.pool) ?? 0) + 1);
    for (const q of queued) {
      const kind = this.kinds.get(q.kind);
      if (!kind) continue;
      const pool = kind.pool?.name ?? '';
      const limit = kind.pool ? Math.max(1, kind.pool.limit()) : this.concurrency;
      if ((running.get(pool) ?? 0) >= limit) continue;
      running.set(pool, (running.get(pool) ?? 0) + 1);
      this.launch(q.id, pool);
    }
  }

  private launch(id: string, pool: string): void {
    const row = this.row(id);
    const kind = this.kind(row.kind);
    const controller = new AbortController();
    const startedAt = this.now();
    this.db.prepare(`UPDATE jobs_jobs SET state='running', started_at=? WHERE id=?`).run(new Date(startedAt).toISOString(), id);
    const live: Live = { controller, samples: [{ t: startedAt, bytes: 0 }], lastPersist: 0, lastEmit: 0, rateBps: 0, done: Promise.resolve(), pool };
    this.live.set(id, live);
    this.appendLog(id, 'info', 'Started');
    this.emitJob(id);

    let bytesDone = 0;
    let bytesTotal: number | null = null;
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      progress: (done, total) => {
        bytesDone = done;
        if (total !== undefined) bytesTotal = total;
        const t = this.now();
        live.samples.push({ t, bytes: done });
        while (live.samples.length > 2 && t - live.samples[0]!.t > RATE_WINDOW_MS) live.samples.shift();
        const first = live.samples[0]!;
        live.rateBps = t > first.t ? ((done - first.bytes) * 1000) / (t - first.t) : 0;
        const persist = t - live.lastPersist >= PERSIST_EVERY_MS;
        const emit = t - live.lastEmit >= EMIT_EVERY_MS;
        if (persist || emit) {
          this.db.prepare('UPDATE jobs_jobs SET bytes_done=?, bytes_total=? WHERE id=?').run(bytesDone, bytesTotal, id);
          if (persist) live.lastPersist = t;
        }
        if (emit) {
          live.lastEmit = t;
          this.emitJob(id);
        }
      },
      log: (message, level = 'info') => this.appendLog(id, level, message),
    };

    const params = JSON.parse(row.params) as never;
    live.done = kind
      .run(ctx, params)
      .then(
        (result) => {
          this.db.prepare('UPDATE jobs_jobs SET bytes_done=?, bytes_total=? WHERE id=?').run(bytesDone, bytesTotal ?? bytesDone, id);
          this.finish(id, 'succeeded', null, result ?? null);
          this.appendLog(id, 'info', 'Succeeded');
        },
        (error: unknown) => {
          this.db.prepare('UPDATE jobs_jobs SET bytes_done=?, bytes_total=? WHERE id=?').run(bytesDone, bytesTotal, id);
          const reason = controller.signal.aborted ? controller.signal.reason : null;
          if (reason === 'cancel') {
            this.finish(id, 'cancelled', null, null);
            this.appendLog(id, 'warn', 'Cancelled');
          } else if (reason === 'shutdown' && kind.resumeOnRestart) {
            this.db.prepare(`UPDATE jobs_jobs SET state='queued', started_at=NULL WHERE id=?`).run(id);
            this.appendLog(id, 'warn', 'EdgeForge is shutting down: this job resumes at the next start');
          } else if (reason === 'shutdown') {
            this.finish(id, 'interrupted', interruptedError(), null);
            this.appendLog(id, 'warn', 'Interrupted: EdgeForge is shutting down');
          } else {
            const data = error instanceof AppError ? error.toData() : internalErrorData();
            this.finish(id, 'failed', data, null);
            this.appendLog(id, 'error', error instanceof AppError ? error.text.en : `Failed: ${(error as Error)?.message ?? String(error)}`);
          }
        },
      )
      .finally(() => {
        this.live.delete(id);
        this.emitJob(id);
        this.pump();
      });
  }
}
