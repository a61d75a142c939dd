/**
 * The built-in diagnostic job: stream a file through sha256.
 *
 * It exercises the whole job machinery (progress in bytes, rate, ETA,
 * cancel, persistence, events to the UI) on any machine, and doubles as a
 * check of a file's integrity. An optional read-rate cap lets a technician
 * watch progress and cancel on a fast disk.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HashFileInput } from '../api/contract';
import { AppError } from '../api/errors';
import type { JobKind } from '../jobs';

export const HASH_FILE_KIND = 'diagnostics.hash-file';

export const DiagnosticsErrors = {
  PATH_NOT_ABSOLUTE: 'PATH_NOT_ABSOLUTE',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  NOT_A_FILE: 'NOT_A_FILE',
  FILE_NOT_READABLE: 'FILE_NOT_READABLE',
  FILE_READ_FAILED: 'FILE_READ_FAILED',
} as const;

const CHUNK = 1024 * 1024;

function checkFile(file: string): fs.Stats {
  if (!path.isAbsolute(file)) {
    throw new AppError(
      DiagnosticsErrors.PATH_NOT_ABSOLUTE,
      {
        en: `"${file}" is not an absolute path. Give the full path, e.g. /home/user/image.iso or C:\\images\\image.iso.`,
        zh: `“${file}”不是绝对路径。请填写完整路径，例如 /home/user/image.iso 或 C:\\images\\image.iso。`,
      },
      { field: ['path'], file },
    );
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new AppError(DiagnosticsErrors.FILE_NOT_FOUND, { en: `No file exists at ${file}.`, zh: `${file} 处没有文件。` }, { field: ['path'], file });
    }
    throw new AppError(
      DiagnosticsErrors.FILE_NOT_READABLE,
      { en: `Cannot read ${file}: ${code ?? (e as Error).message}.`, zh: `无法读取 ${file}：${code ?? (e as Error).message}。` },
      { field: ['path'], file },
    );
  }
  if (!st.isFile()) {
    throw new AppError(
      DiagnosticsErrors.NOT_A_FILE,
      { en: `${file} is a directory or a device, not a regular file.`, zh: `${file} 是目录或设备，不是普通文件。` },
      { field: ['path'], file },
    );
  }
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new AppError(
      DiagnosticsErrors.FILE_NOT_READABLE,
      { en: `You have no permission to read ${file}.`, zh: `没有读取 ${file} 的权限。` },
      { field: ['path'], file },
    );
  }
  return st;
}

export const hashFileJob: JobKind<HashFileInput, { sha256: string; bytes: number }> = {
  kind: HASH_FILE_KIND,
  title: (p) => ({ en: `Hash ${path.basename(p.path)} (sha256)`, zh: `计算 ${path.basename(p.path)} 的 sha256` }),
  validate: (p) => {
    checkFile(p.path);
  },
  async run(ctx, p) {
    const st = checkFile(p.path);
    const total = st.size;
    const limit = p.rateLimitMiBps ? p.rateLimitMiBps * 1024 * 1024 : null;
    ctx.log(`Reading ${total} bytes from ${p.path}${limit ? ` at most ${p.rateLimitMiBps} MiB/s` : ''}`);
    ctx.progress(0, total);
    const hash = createHash('sha256');
    const started = Date.now();
    let done = 0;
    try {
      const stream = fs.createReadStream(p.path, {
        highWaterMark: limit ? Math.min(CHUNK, Math.max(64 * 1024, Math.floor(limit / 8))) : CHUNK,
        signal: ctx.signal,
      });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        done += chunk.length;
        ctx.progress(done, total);
        if (limit) {
          const due = (done / limit) * 1000 - (Date.now() - started);
          if (due > 0) await sleep(due, undefined, { signal: ctx.signal });
        }
      }
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new AppError(
        DiagnosticsErrors.FILE_READ_FAILED,
        { en: `Reading ${p.path} failed after ${done} bytes: ${code}.`, zh: `读取 ${p.path} 在 ${done} 字节后失败：${code}。` },
        { file: p.path, cause: e },
      );
    }
    if (done !== total) {
      throw new AppError(
        DiagnosticsErrors.FILE_READ_FAILED,
        {
          en: `${p.path} changed size while it was read (${total} bytes expected, ${done} read).`,
          zh: `${p.path} 在读取过程中大小发生变化（预期 ${total} 字节，读取 ${done} 字节）。`,
        },
        { file: p.path },
      );
    }
    const sha256 = hash.digest('hex');
    ctx.log(`sha256 ${sha256}`);
    return { sha256, bytes: done };
  },
};
