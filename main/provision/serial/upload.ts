/**
 * Uploading a file over the serial console.
 *
 * The file is written to a staging folder beside its destination
 * (<dir>/.edgeforge-upload-<name>/payload), so that a cut cable leaves a
 * partial file to resume from and the final move is a rename on the same
 * file system. Under sudo, rz runs as the logged-in user, who may not even
 * reach the destination's folder (/root is 0700): the staging folder is then
 * the user's own under /var/tmp, and the file is moved across with a rename
 * at the end. Before resuming, the partial file's sha256 is compared with
 * the same prefix of the local file; a partial that does not match is
 * thrown away.
 *
 * ZMODEM (zmodem.ts) when the box has `rz` and the line carries 8 data bits;
 * a failed attempt is resumed once more with every control character
 * escaped, then the upload falls back to base64. The base64 path sends
 * chunks that the box decodes, checks against their sha256 and only then
 * appends, so a damaged chunk is sent again rather than written.
 *
 * Either way the upload ends by reading the destination back with the box's
 * own sha256sum.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppError } from '../../api/errors';
import type { ExecOptions, ExecResult, UploadOptions } from '../shell';
import { SerialErrors, cancelled, serialError } from './errors';
import { estimateTransferSeconds, lineCharsPerSecond } from './estimate';
import type { SerialLineSettings } from './line';
import { shQuote as q } from './markers';
import type { ZmodemSendOptions, ZmodemSendResult } from './zmodem';

export interface SerialUploadOptions extends UploadOptions {
  /** 'auto' (default): ZMODEM when the box has rz and the line carries 8 data bits; base64 otherwise. */
  method?: 'auto' | 'zmodem' | 'base64';
  /** Bytes per base64 chunk, each checked on the box before it is appended. Default 48 KiB. */
  chunkBytes?: number;
}

export interface SerialUploadResult {
  /** How the bytes went: 'zmodem', or 'base64' (including after ZMODEM failed). */
  method: 'zmodem' | 'base64';
  /** Bytes of a verified partial file on the box that were not sent again. */
  resumedFrom: number;
  bytes: number;
  sha256: string;
}

/** Internal knobs of a command, beyond RemoteShell's ExecOptions. */
export interface RunOptions extends ExecOptions {
  /** Run as the logged-in user even when sudo is configured. */
  asUser?: boolean;
}

/** What an upload needs from the shell; the caller holds the line for the whole upload. */
export interface UploadHost {
  label: string;
  line: SerialLineSettings;
  tools: { rz: boolean; sha256sum: boolean };
  sudo: boolean;
  log: (line: string) => void;
  exec(command: string, o?: RunOptions): Promise<ExecResult>;
  zmodem(
    command: string,
    file: { path: string; size: number; mtimeMs: number },
    z: ZmodemSendOptions,
  ): Promise<{ code: number; result: ZmodemSendResult | null; error: Error | null }>;
}

const HASH_TIMEOUT_MS = 30 * 60_000;
const MAX_CHUNK_FAILURES = 6;

async function sha256Of(file: string, end?: number): Promise<string> {
  const h = createHash('sha256');
  if (end === 0) return h.digest('hex');
  for await (const chunk of fs.createReadStream(file, end === undefined ? {} : { end: end - 1 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function failed(en: string, zh: string, file?: string): AppError {
  return serialError(SerialErrors.SERIAL_UPLOAD_FAILED, en, zh, file ? { file } : {});
}

function lastLines(text: string, n: number): string[] {
  return text.trim().split('\n').slice(-n);
}

function hashIn(text: string): string | undefined {
  return /\b([0-9a-f]{64})\b/.exec(
    text
      .split('\n')
      .filter((l) => /[0-9a-f]{64}/.test(l))
      .pop() ?? '',
  )?.[1];
}

export async function uploadOverSerial(host: UploadHost, localFile: string, remotePath: string, o: SerialUploadOptions = {}): Promise<SerialUploadResult> {
  if (!remotePath.startsWith('/') || /[\n\r\0]/.test(remotePath) || remotePath.endsWith('/'))
    throw failed(
      `The destination on the box must be an absolute file path; "${remotePath}" is not.`,
      `设备上的目标必须是绝对文件路径；“${remotePath}”不是。`,
      remotePath,
    );
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(localFile);
  } catch (e) {
    throw failed(`Cannot read ${localFile}: ${(e as Error).message}`, `无法读取 ${localFile}：${(e as Error).message}`, localFile);
  }
  if (!host.tools.sha256sum)
    throw serialError(
      SerialErrors.SERIAL_TOOL_MISSING,
      `The box on ${host.label} has no sha256sum, so an upload cannot be verified. Install coreutils on the box.`,
      `${host.label} 上的设备没有 sha256sum，无法校验上传。请在设备上安装 coreutils。`,
    );
  const size = stat.size;
  const sha256 = (o.sha256 ?? (await sha256Of(localFile))).toLowerCase();
  const dir = path.posix.dirname(remotePath);
  const staging = host.sudo
    ? `/var/tmp/.edgeforge-upload-${createHash('sha256').update(remotePath).digest('hex').slice(0, 16)}`
    : `${dir}/.edgeforge-upload-${path.posix.basename(remotePath)}`;
  const partial = `${staging}/payload`;
  // The staging folder is the user's under sudo: its files are written as the user, as rz writes them; only the final move needs root.
  const asUser = host.sudo;
  const progress = (done: number) => o.onProgress?.(Math.min(done, size), size);
  const check = () => {
    if (o.signal?.aborted) throw cancelled();
  };

  // The folder, the staging folder (the user's own when rz runs as that user under sudo), the partial file, free space.
  const prep = await host.exec(
    `[ -d ${q(dir)} ] || { echo EF_NODIR; exit 2; }; mkdir -p ${q(staging)} || exit 3; ` +
      `${host.sudo ? `chown "$SUDO_UID" ${q(staging)} || exit 3; ` : ''}` +
      `if [ -f ${q(partial)} ]; then wc -c < ${q(partial)}; else echo 0; fi; ` +
      // The smaller of the staging and destination file systems' free space (the same one unless under sudo).
      `df -Pk ${q(staging)} ${q(dir)} | awk 'NR>1 && (m == "" || $4 < m) {m = $4} END {print m}'`,
    { timeoutMs: 60_000, signal: o.signal },
  );
  if (prep.code === 2)
    throw failed(
      `The folder ${dir} does not exist on the box (${host.label}). Create it first, or choose another destination.`,
      `设备（${host.label}）上不存在文件夹 ${dir}。请先创建，或选择其他目标位置。`,
      remotePath,
    );
  if (prep.code !== 0)
    throw failed(
      `EdgeForge cannot write in ${dir} on the box (${host.label}): ${lastLines(prep.stdout, 2).join(' ')}`,
      `EdgeForge 无法写入设备（${host.label}）上的 ${dir}：${lastLines(prep.stdout, 2).join(' ')}`,
      remotePath,
    );
  const [partialText, freeText] = lastLines(prep.stdout, 2);
  let have = Number(partialText?.trim() ?? 0) || 0;
  const freeKiB = Number(freeText?.trim());
  if (Number.isFinite(freeKiB) && freeKiB * 1024 < size - have + (1 << 20))
    throw serialError(
      SerialErrors.SERIAL_BOX_DISK_FULL,
      `${dir} on the box has ${(freeKiB / 1024).toFixed(1)} MiB free; the upload needs ${((size - have) / 1048576).toFixed(1)} MiB more. Free space on the box or choose another folder.`,
      `设备上 ${dir} 仅剩 ${(freeKiB / 1024).toFixed(1)} MiB；此次上传还需要 ${((size - have) / 1048576).toFixed(1)} MiB。请清理设备空间或选择其他文件夹。`,
      { file: remotePath },
    );

  /** The length of the partial file whose content matches the local file's start (0 after deleting one that does not). */
  const verifiedPrefix = async (): Promise<number> => {
    check();
    const r = await host.exec(`p=${q(partial)}; if [ -f "$p" ]; then wc -c < "$p"; sha256sum < "$p"; else echo 0; fi`, {
      timeoutMs: HASH_TIMEOUT_MS,
      signal: o.signal,
      asUser,
    });
    const lines = lastLines(r.stdout, 2);
    const n = Number((hashIn(r.stdout) ? lines[0] : lines.at(-1)) ?? 0) || 0;
    if (n === 0) return 0;
    if (n <= size && hashIn(r.stdout) === (await sha256Of(localFile, n))) return n;
    host.log(`${host.label}: the partial ${partial} (${n} bytes) is not the start of ${path.basename(localFile)}; starting over`);
    await host.exec(`rm -f ${q(partial)}`, { timeoutMs: 60_000, signal: o.signal, asUser });
    return 0;
  };

  if (have > 0) have = await verifiedPrefix();
  const resumedFrom = have;
  if (have > 0) host.log(`${host.label}: resuming ${remotePath} from byte ${have} of ${size}`);
  progress(have);

  let method: 'zmodem' | 'base64' = 'base64';
  const wantZ = o.method === 'zmodem' || ((o.method ?? 'auto') === 'auto' && host.tools.rz && host.line.dataBits === 8);
  if (o.method === 'zmodem' && !host.tools.rz)
    throw serialError(
      SerialErrors.SERIAL_TOOL_MISSING,
      `The box on ${host.label} has no rz (lrzsz), so ZMODEM cannot be used. Install lrzsz, or let EdgeForge use base64.`,
      `${host.label} 上的设备没有 rz（lrzsz），无法使用 ZMODEM。请安装 lrzsz，或让 EdgeForge 使用 base64。`,
    );
  if (wantZ) {
    const mtimeMs = stat.mtimeMs;
    for (const escapeAll of [false, true]) {
      check();
      const cmd = `cd ${q(staging)} && exec rz --binary ${have > 0 ? '--resume' : '--overwrite'}`;
      const r = await host.zmodem(
        cmd,
        { path: localFile, size, mtimeMs },
        // Idle allowance: 30 s, plus the time the line needs to carry what OS and adapter buffers may still hold.
        { name: 'payload', escapeAll, onProgress: progress, signal: o.signal, idleTimeoutMs: 30_000 + (1000 * 64 * 1024) / lineCharsPerSecond(host.line) },
      );
      if (o.signal?.aborted) throw cancelled();
      if (r.code === 0 && !r.error) {
        method = 'zmodem';
        break;
      }
      host.log(`${host.label}: ZMODEM attempt failed (${r.error?.message ?? `rz exited with ${r.code}`})`);
      have = await verifiedPrefix();
    }
    if (method !== 'zmodem') {
      if (o.method === 'zmodem')
        throw serialError(
          SerialErrors.SERIAL_ZMODEM_FAILED,
          `ZMODEM to ${host.label} failed twice. The line may drop or change bytes: check the cable, lower the baud rate, or turn on flow control.`,
          `到 ${host.label} 的 ZMODEM 传输两次失败。线路可能丢失或篡改数据：请检查线缆、降低波特率或启用流控。`,
        );
      host.log(`${host.label}: falling back to base64 from byte ${have}`);
    }
  }

  if (method === 'base64') {
    const chunkBytes = Math.max(1024, o.chunkBytes ?? 48 * 1024);
    const fd = await fs.promises.open(localFile, 'r');
    try {
      let failures = 0;
      let lastOutput = '';
      while (have < size) {
        check();
        const len = Math.min(chunkBytes, size - have);
        const buf = Buffer.alloc(len);
        await fd.read(buf, 0, len, have);
        const h = createHash('sha256').update(buf).digest('hex');
        // Exit 3: the partial file is not the length we think; 4: the chunk arrived damaged; 5: the write failed.
        const script =
          `p=${q(partial)}; t="$p.chunk"; [ -f "$p" ] || : > "$p" || exit 5; s=$(($(wc -c < "$p"))); ` +
          `[ "$s" -eq ${have} ] || { echo "EF_SIZE $s"; exit 3; }; cat > "$t" || { rm -f "$t"; exit 5; }; ` +
          `h=$(sha256sum < "$t"); [ "\${h%% *}" = ${h} ] || { rm -f "$t"; exit 4; }; cat "$t" >> "$p" || { rm -f "$t"; exit 5; }; rm -f "$t"`;
        let r: ExecResult;
        try {
          r = await host.exec(script, { stdin: buf, timeoutMs: 30_000 + 3_000 * estimateTransferSeconds(len, host.line, 'base64'), signal: o.signal, asUser });
        } catch (e) {
          if ((e as AppError).code !== SerialErrors.SHELL_TIMEOUT) throw e;
          r = { code: -1, stdout: (e as AppError).text.en, stderr: '' };
        }
        if (r.code === 0) {
          have += len;
          failures = 0;
          progress(have);
          continue;
        }
        lastOutput = r.stdout.trim();
        if (/no space left/i.test(lastOutput))
          throw serialError(
            SerialErrors.SERIAL_BOX_DISK_FULL,
            `The box's disk filled up while writing ${remotePath} (${host.label}). Free space on the box, then upload again; the part already sent is kept.`,
            `写入 ${remotePath} 时设备（${host.label}）磁盘已满。请清理设备空间后重新上传；已发送的部分会保留。`,
            { file: remotePath },
          );
        failures++;
        host.log(`${host.label}: chunk at byte ${have} ${r.code === 4 ? 'arrived damaged; sending it again' : `failed (exit ${r.code}); retrying`}`);
        if (failures >= MAX_CHUNK_FAILURES)
          throw failed(
            `Sending ${path.basename(localFile)} to ${host.label} failed ${failures} times at byte ${have}: ${lastOutput.slice(-200)}. Check the cable and the line settings.`,
            `向 ${host.label} 发送 ${path.basename(localFile)} 时在第 ${have} 字节处连续失败 ${failures} 次：${lastOutput.slice(-200)}。请检查线缆和线路参数。`,
            remotePath,
          );
        if (r.code !== 4) have = await verifiedPrefix();
      }
    } finally {
      await fd.close();
    }
  }

  // Into place, then read the destination back: the only check that counts.
  check();
  const fin = await host.exec(
    (host.sudo
      ? // Across file systems mv copies: into a temporary name beside the destination first, then a rename.
        `mv -f ${q(partial)} ${q(`${remotePath}.edgeforge-tmp`)} && chown 0:0 ${q(`${remotePath}.edgeforge-tmp`)} && mv -f ${q(`${remotePath}.edgeforge-tmp`)} ${q(remotePath)} || exit 3; `
      : `mv -f ${q(partial)} ${q(remotePath)} || exit 3; `) + `rmdir ${q(staging)} 2>/dev/null; sha256sum < ${q(remotePath)}`,
    { timeoutMs: HASH_TIMEOUT_MS, signal: o.signal },
  );
  if (fin.code !== 0)
    throw failed(
      `The uploaded file could not be moved to ${remotePath} on ${host.label}: ${lastLines(fin.stdout, 2).join(' ')}`,
      `上传的文件无法移动到 ${host.label} 上的 ${remotePath}：${lastLines(fin.stdout, 2).join(' ')}`,
      remotePath,
    );
  const remote = hashIn(fin.stdout);
  if (remote !== sha256) {
    await host.exec(`rm -f ${q(remotePath)}`, { timeoutMs: 60_000 }).catch(() => undefined);
    throw serialError(
      SerialErrors.SERIAL_UPLOAD_CORRUPT,
      `${remotePath} on ${host.label} does not match ${path.basename(localFile)} (box sha256 ${remote ?? 'unreadable'}, expected ${sha256}). The damaged copy was removed; upload again.`,
      `${host.label} 上的 ${remotePath} 与 ${path.basename(localFile)} 不一致（设备 sha256 为 ${remote ?? '无法读取'}，应为 ${sha256}）。已删除损坏的副本，请重新上传。`,
      { file: remotePath },
    );
  }
  progress(size);
  return { method, resumedFrom, bytes: size, sha256 };
}
