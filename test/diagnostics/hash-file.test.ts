import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticsErrors, hashFileJob } from '../../main/diagnostics';
import type { JobContext } from '../../main/jobs';
import { tempDir } from '../support/tmp';

function ctx(signal = new AbortController().signal) {
  const progress: [number, number | null | undefined][] = [];
  const c: JobContext = { jobId: 'job_test', signal, progress: (d, t) => progress.push([d, t]), log: () => undefined };
  return { c, progress };
}

describe('diagnostic hash job', () => {
  it('gives the same digest as sha256sum, reporting progress up to the file size', async () => {
    const file = path.join(tempDir(), 'payload.bin');
    fs.writeFileSync(file, randomBytes(5 * 1024 * 1024 + 3));
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    const { c, progress } = ctx();
    const r = await hashFileJob.run(c, { path: file });
    expect(r.sha256).toBe(expected);
    expect(r.bytes).toBe(5 * 1024 * 1024 + 3);
    expect(progress.at(-1)).toEqual([r.bytes, r.bytes]);
    expect(progress.length).toBeGreaterThan(3);
  });

  it('honours the read-rate cap', async () => {
    const file = path.join(tempDir(), 'slow.bin');
    fs.writeFileSync(file, Buffer.alloc(2 * 1024 * 1024));
    const t0 = Date.now();
    await hashFileJob.run(ctx().c, { path: file, rateLimitMiBps: 8 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('stops when cancelled', async () => {
    const file = path.join(tempDir(), 'cancel.bin');
    fs.writeFileSync(file, Buffer.alloc(4 * 1024 * 1024));
    const ac = new AbortController();
    setTimeout(() => ac.abort('cancel'), 50);
    await expect(hashFileJob.run(ctx(ac.signal).c, { path: file, rateLimitMiBps: 1 })).rejects.toBeTruthy();
  });

  it('refuses a relative path, a missing file and a directory with their own codes', () => {
    const dir = tempDir();
    expect(() => hashFileJob.validate!({ path: 'file.iso' })).toThrow(expect.objectContaining({ code: DiagnosticsErrors.PATH_NOT_ABSOLUTE, field: ['path'] }));
    expect(() => hashFileJob.validate!({ path: path.join(dir, 'missing') })).toThrow(expect.objectContaining({ code: DiagnosticsErrors.FILE_NOT_FOUND }));
    expect(() => hashFileJob.validate!({ path: dir })).toThrow(expect.objectContaining({ code: DiagnosticsErrors.NOT_A_FILE }));
  });
});
