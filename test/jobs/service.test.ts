import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Job, JobEvent } from '../../main/api/contract';
import { AppError } from '../../main/api/errors';
import { JobErrors, JobService, jobsSchema, type JobKind } from '../../main/jobs';
import { Store } from '../../main/store';

function openStore() {
  return Store.open(':memory:', [jobsSchema]);
}

/** A job that advances one step each time the test releases it. */
function steppedKind(total: number) {
  let release: (() => void) | null = null;
  const step = () => {
    const r = release;
    release = null;
    r?.();
  };
  const kind: JobKind<{ fail?: boolean }, { ok: true }> = {
    kind: 'test.stepped',
    title: () => ({ en: 'Stepped', zh: '分步' }),
    async run(ctx, p) {
      ctx.progress(0, total);
      for (let done = 1; done <= total; done++) {
        await new Promise<void>((resolve, reject) => {
          release = resolve;
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
        ctx.progress(done, total);
        ctx.log(`step ${done}`);
      }
      if (p.fail) throw new AppError('TEST_BROKEN', { en: 'broken on purpose', zh: '故意失败' });
      return { ok: true };
    },
  };
  return { kind, step };
}

async function until(service: JobService, id: string, pred: (j: Job) => boolean, timeoutMs = 5000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = service.get(id);
    if (pred(j)) return j;
    if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${j.state}`);
    await sleep(5);
  }
}

describe('job service', () => {
  it('runs a job to success with bytes, a persisted result and a log', async () => {
    const store = openStore();
    const svc = new JobService(store.db);
    const { kind, step } = steppedKind(3);
    svc.register(kind);
    const events: JobEvent[] = [];
    svc.subscribe((e) => events.push(e));
    const job = await svc.start('test.stepped', {});
    await until(svc, job.id, (j) => j.state === 'running');
    for (let i = 0; i < 3; i++) {
      await sleep(10);
      step();
    }
    const done = await until(svc, job.id, (j) => j.state === 'succeeded');
    expect(done).toMatchObject({ bytesDone: 3, bytesTotal: 3, result: { ok: true }, error: null, attempt: 1 });
    expect(done.finishedAt).not.toBeNull();
    expect(svc.logs(job.id).map((l) => l.message)).toEqual(['Queued', 'Started', 'step 1', 'step 2', 'step 3', 'Succeeded']);
    expect(events.filter((e) => e.type === 'job').map((e) => (e.type === 'job' ? e.job.state : ''))).toContain('succeeded');
    store.close();
  });

  it('computes a rate and an ETA from recent progress', async () => {
    let now = 1_000_000;
    const store = openStore();
    const svc = new JobService(store.db, { now: () => now });
    let progress: ((d: number, t?: number | null) => void) | null = null;
    let finish: (() => void) | null = null;
    svc.register({
      kind: 'test.clocked',
      title: () => ({ en: 'c', zh: 'c' }),
      run: (ctx) =>
        new Promise((resolve) => {
          progress = ctx.progress;
          finish = () => resolve(null);
        }),
    });
    const job = await svc.start('test.clocked', {});
    await until(svc, job.id, () => progress !== null);
    now += 1000;
    progress!(100, 1000);
    now += 1000;
    progress!(200, 1000);
    const j = svc.get(job.id);
    expect(j.rateBps).toBeCloseTo(100, 5);
    expect(j.etaSeconds).toBeCloseTo(8, 5);
    finish!();
    await until(svc, job.id, (x) => x.state === 'succeeded');
    store.close();
  });

  it('cancels a running job and a queued one', async () => {
    const store = openStore();
    const svc = new JobService(store.db, { concurrency: 1 });
    const { kind } = steppedKind(5);
    svc.register(kind);
    const a = await svc.start('test.stepped', {});
    const b = await svc.start('test.stepped', {});
    await until(svc, a.id, (j) => j.state === 'running');
    expect(svc.get(b.id).state).toBe('queued');
    expect(svc.cancel(b.id).state).toBe('cancelled');
    svc.cancel(a.id);
    expect((await until(svc, a.id, (j) => j.state !== 'running')).state).toBe('cancelled');
    expect(() => svc.cancel(a.id)).toThrow(expect.objectContaining({ code: JobErrors.JOB_NOT_CANCELLABLE }));
    store.close();
  });

  it('never runs more jobs at once than its concurrency limit', async () => {
    const store = openStore();
    const svc = new JobService(store.db, { concurrency: 2 });
    let running = 0;
    let peak = 0;
    svc.register({
      kind: 'test.sleep',
      title: () => ({ en: 's', zh: 's' }),
      async run() {
        running++;
        peak = Math.max(peak, running);
        await sleep(30);
        running--;
        return null;
      },
    });
    const jobs = await Promise.all(Array.from({ length: 6 }, () => svc.start('test.sleep', {})));
    for (const j of jobs) await until(svc, j.id, (x) => x.state === 'succeeded');
    expect(peak).toBe(2);
    store.close();
  });

  it('records a failure with its error code and both messages, and retries it', async () => {
    const store = openStore();
    const svc = new JobService(store.db);
    const { kind, step } = steppedKind(1);
    svc.register(kind);
    const job = await svc.start('test.stepped', { fail: true });
    await until(svc, job.id, (j) => j.state === 'running');
    await sleep(10);
    step();
    const failed = await until(svc, job.id, (j) => j.state === 'failed');
    expect(failed.error).toEqual({ code: 'TEST_BROKEN', message: { en: 'broken on purpose', zh: '故意失败' } });
    const again = await svc.retry(job.id);
    expect(again.attempt).toBe(2);
    await until(svc, job.id, (j) => j.state === 'running');
    svc.cancel(job.id);
    await until(svc, job.id, (j) => j.state === 'cancelled');
    store.close();
  });

  it('marks unfinished jobs interrupted after a restart, and lets them be retried', async () => {
    const store = openStore();
    const first = new JobService(store.db, { concurrency: 1 });
    const { kind } = steppedKind(2);
    first.register(kind);
    const running = await first.start('test.stepped', {});
    const queued = await first.start('test.stepped', {});
    await until(first, running.id, (j) => j.state === 'running');
    // A crash: the process is gone without shutdown(). A new service on the same store recovers.
    const second = new JobService(store.db);
    const { kind: kind2, step } = steppedKind(1);
    second.register(kind2);
    expect(second.recoverInterrupted()).toBe(2);
    for (const id of [running.id, queued.id]) {
      const j = second.get(id);
      expect(j.state).toBe('interrupted');
      expect(j.error?.code).toBe('JOB_INTERRUPTED');
    }
    await second.retry(running.id);
    await until(second, running.id, (j) => j.state === 'running');
    await sleep(10);
    step();
    await until(second, running.id, (j) => j.state === 'succeeded');
    expect(() => second.remove(queued.id)).not.toThrow();
    expect(() => second.get(queued.id)).toThrow(expect.objectContaining({ code: JobErrors.JOB_NOT_FOUND }));
    store.close();
  });

  it('refuses to retry a succeeded job, to remove an active one, or to start an unknown kind', async () => {
    const store = openStore();
    const svc = new JobService(store.db);
    const { kind } = steppedKind(1);
    svc.register(kind);
    const job = await svc.start('test.stepped', {});
    await until(svc, job.id, (j) => j.state === 'running');
    expect(() => svc.remove(job.id)).toThrow(expect.objectContaining({ code: JobErrors.JOB_STILL_ACTIVE }));
    await expect(svc.retry(job.id)).rejects.toMatchObject({ code: JobErrors.JOB_NOT_RETRYABLE });
    await expect(svc.start('no.such.kind', {})).rejects.toMatchObject({ code: JobErrors.JOB_KIND_UNKNOWN });
    await svc.shutdown();
    expect(svc.get(job.id).state).toBe('interrupted');
    store.close();
  });
});

describe('job pools and resuming after a restart', () => {
  function gated(kind: string, pool?: { name: string; limit: () => number }, resumeOnRestart = false) {
    const gates: (() => void)[] = [];
    const k: JobKind<{ n: number }, number> = {
      kind,
      title: (p) => ({ en: `job ${p.n}`, zh: `作业 ${p.n}` }),
      ...(pool ? { pool } : {}),
      resumeOnRestart,
      run: (ctx, p) =>
        new Promise<number>((resolve, reject) => {
          gates.push(() => resolve(p.n));
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    };
    return { k, gates };
  }

  it('runs a pooled kind beside the others, up to its own limit', async () => {
    const store = openStore();
    const jobs = new JobService(store.db, { concurrency: 1 });
    let limit = 3;
    const flash = gated('test.flash', { name: 'flash', limit: () => limit });
    const build = gated('test.build');
    jobs.register(flash.k);
    jobs.register(build.k);
    const b = await Promise.all([1, 2].map((n) => jobs.start('test.build', { n })));
    const f = await Promise.all([1, 2, 3, 4, 5].map((n) => jobs.start('test.flash', { n })));
    const state = () => [...b, ...f].map((j) => jobs.get(j.id).state);
    // One build (the global limit), three flash jobs (the pool's).
    expect(state()).toEqual(['running', 'queued', 'running', 'running', 'running', 'queued', 'queued']);
    limit = 4;
    flash.gates.shift()!();
    await until(jobs, f[0]!.id, (j) => j.state === 'succeeded');
    // The limit is read each time: now four at once.
    expect(state()).toEqual(['running', 'queued', 'succeeded', 'running', 'running', 'running', 'running']);
    await jobs.shutdown();
  });

  it('queues a resumable kind again at start instead of marking it interrupted, and leaves the others interrupted', async () => {
    const file = `${(await import('../support/tmp')).tempDir()}/jobs.db`;
    const store = Store.open(file, [jobsSchema]);
    const jobs = new JobService(store.db);
    const flash = gated('test.flash', { name: 'flash', limit: () => 8 }, true);
    const build = gated('test.build');
    jobs.register(flash.k);
    jobs.register(build.k);
    const f = await jobs.start('test.flash', { n: 1 });
    const b = await jobs.start('test.build', { n: 2 });
    expect(jobs.get(f.id).state).toBe('running');
    // The process dies: no shutdown, the rows stay "running".
    store.close();

    const store2 = Store.open(file, [jobsSchema]);
    const again = new JobService(store2.db);
    const flash2 = gated('test.flash', { name: 'flash', limit: () => 8 }, true);
    again.register(flash2.k);
    again.register(gated('test.build').k);
    expect(again.recoverInterrupted()).toBe(1);
    expect(again.get(b.id).state).toBe('interrupted');
    expect(again.get(f.id)).toMatchObject({ state: 'queued', attempt: 2 });
    again.resumeQueued();
    expect(again.get(f.id).state).toBe('running');
    expect(again.logs(f.id).map((l) => l.message)).toContain('EdgeForge restarted while this job was unfinished: it resumes from its last completed step');
    flash2.gates.shift()!();
    await until(again, f.id, (j) => j.state === 'succeeded');
    // A clean shutdown queues a running resumable job for the next start, rather than ending it.
    const g = await again.start('test.flash', { n: 3 });
    await again.shutdown();
    expect(again.get(g.id).state).toBe('queued');
    store2.close();
  });
});
