/**
 * The SSH transport (ssh2): password or key (with its passphrase) auth,
 * sudo for a user who is not root, keep-alives, time-outs, configurable
 * algorithm lists for old boxes, the station's own known-hosts store, and
 * an SFTP upload with parallel requests that resumes after a dropped
 * connection and ends with the box's own sha256sum.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { AppError } from '../api/errors';
import type { HostKeyStore, HostKeyVerdict } from './known-hosts';
import type { ExecOptions, ExecResult, RemoteShell, UploadOptions } from './shell';

export const SshErrors = {
  SSH_UNREACHABLE: 'SSH_UNREACHABLE',
  SSH_TIMEOUT: 'SSH_TIMEOUT',
  SSH_AUTH_FAILED: 'SSH_AUTH_FAILED',
  SSH_KEY_PASSPHRASE: 'SSH_KEY_PASSPHRASE',
  SSH_HOSTKEY_CHANGED: 'SSH_HOSTKEY_CHANGED',
  SSH_HOSTKEY_UNKNOWN: 'SSH_HOSTKEY_UNKNOWN',
  SSH_NO_ALGORITHM: 'SSH_NO_ALGORITHM',
  SSH_CONNECTION_LOST: 'SSH_CONNECTION_LOST',
  SSH_SUDO_FAILED: 'SSH_SUDO_FAILED',
  SHELL_TIMEOUT: 'SHELL_TIMEOUT',
  UPLOAD_CORRUPT: 'UPLOAD_CORRUPT',
  UPLOAD_FAILED: 'UPLOAD_FAILED',
} as const;

/** Algorithms an old box may need (CentOS 6-era OpenSSH, vendor BusyBox dropbear), appended after ssh2's defaults. */
export const LEGACY_ALGORITHMS: SshAlgorithms = {
  kex: ['diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1', 'diffie-hellman-group-exchange-sha1'],
  serverHostKey: ['ssh-rsa', 'ssh-dss'],
  cipher: ['aes128-cbc', 'aes256-cbc', '3des-cbc'],
  hmac: ['hmac-sha1'],
};

export interface SshAlgorithms {
  kex?: string[];
  serverHostKey?: string[];
  cipher?: string[];
  hmac?: string[];
}

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** Password for sudo when the user is not root (defaults to the login password). */
  sudoPassword?: string;
  /** Extra algorithms appended to the defaults, for old boxes. */
  algorithms?: SshAlgorithms;
}

export interface SshConnectOptions {
  knownHosts: HostKeyStore;
  /** 'tofu' records an unknown host's key (the caller shows the fingerprint); 'strict' refuses it. */
  hostKeyPolicy?: 'tofu' | 'strict';
  /** Accept a changed key only when it has this fingerprint (the user's explicit re-trust). */
  retrustFingerprint?: string;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * SFTP writes are as large as the server accepts, as OpenSSH's own client
 * does: OpenSSH announces 255 KiB through limits@openssh.com (which ssh2
 * reads at start), other servers get what ssh2 assumes, about 31 KiB. Fewer, larger writes cost a
 * slow box's sftp-server less than many small ones. About 4 MiB are in
 * flight, at least 8 writes and at most 64.
 */
const SFTP_MIN_CHUNK = 32 * 1024;
const SFTP_MAX_CHUNK = 256 * 1024;
const SFTP_IN_FLIGHT = 4 * 1024 * 1024;

export function sftpWriteShape(maxWriteLen: number | undefined): { chunk: number; parallel: number } {
  const allowed = maxWriteLen !== undefined && Number.isFinite(maxWriteLen) ? maxWriteLen : SFTP_MIN_CHUNK;
  // Never above what the server allows: ssh2 would split a larger write into writes sent one after another.
  const chunk = Math.max(1024, Math.min(SFTP_MAX_CHUNK, Math.floor(allowed / 1024) * 1024));
  return { chunk, parallel: Math.max(8, Math.min(64, Math.ceil(SFTP_IN_FLIGHT / chunk))) };
}

/** ssh2 keeps the server's write limit on the session; it has no public getter. */
function serverWriteLimit(sftp: SFTPWrapper): number | undefined {
  const limit = (sftp as unknown as { _maxWriteLen?: unknown })._maxWriteLen;
  return typeof limit === 'number' ? limit : undefined;
}

function where(t: SshTarget): string {
  return `${t.username}@${t.host}:${t.port}`;
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function mapConnectError(t: SshTarget, e: Error & { level?: string; code?: string }): AppError {
  const w = where(t);
  if (e instanceof AppError) return e;
  if (e.level === 'client-authentication')
    return new AppError(SshErrors.SSH_AUTH_FAILED, {
      en: `${w} refused the login: check the user name, password or key.`,
      zh: `${w} 拒绝登录：请检查用户名、密码或密钥。`,
    });
  if (/Encrypted private key detected|bad passphrase|Cannot parse privateKey/i.test(e.message))
    return new AppError(SshErrors.SSH_KEY_PASSPHRASE, {
      en: `The private key for ${w} cannot be read: ${e.message}. Give its passphrase, or another key.`,
      zh: `${w} 的私钥无法读取：${e.message}。请提供其口令或更换密钥。`,
    });
  if (e.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(e.message))
    return new AppError(SshErrors.SSH_TIMEOUT, {
      en: `${w} did not finish the SSH handshake in time. Is sshd running, and is this the right port?`,
      zh: `${w} 未能及时完成 SSH 握手。sshd 是否在运行？端口是否正确？`,
    });
  if (/no matching/i.test(e.message) || e.level === 'handshake')
    return new AppError(SshErrors.SSH_NO_ALGORITHM, {
      en: `${w} and EdgeForge share no SSH algorithm (${e.message}). For an old box, turn on the legacy algorithms for this target.`,
      zh: `${w} 与 EdgeForge 没有共同的 SSH 算法（${e.message}）。旧设备请为该目标启用旧版算法。`,
    });
  if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT' || e.code === 'ENOTFOUND')
    return new AppError(SshErrors.SSH_UNREACHABLE, {
      en: `Cannot reach ${t.host}:${t.port} (${e.code}). Check the cable, the address and that sshd runs on the box.`,
      zh: `无法连接 ${t.host}:${t.port}（${e.code}）。请检查网线、地址以及设备上的 sshd 是否运行。`,
    });
  return lost(t, e.message);
}

function lost(t: SshTarget, why: string): AppError {
  return new AppError(SshErrors.SSH_CONNECTION_LOST, {
    en: `The SSH connection to ${where(t)} was lost (${why}).`,
    zh: `与 ${where(t)} 的 SSH 连接已断开（${why}）。`,
  });
}

function hostKeyError(t: SshTarget, v: HostKeyVerdict): AppError {
  if (v.kind === 'changed')
    return new AppError(SshErrors.SSH_HOSTKEY_CHANGED, {
      en: `The host key of ${t.host}:${t.port} has changed: it was ${v.expected.fingerprint} (${v.expected.keyType}), it is now ${v.fingerprint} (${v.keyType}). Someone may be intercepting the connection; if the box was reinstalled, re-trust it with the new fingerprint.`,
      zh: `${t.host}:${t.port} 的主机密钥已改变：原为 ${v.expected.fingerprint}（${v.expected.keyType}），现为 ${v.fingerprint}（${v.keyType}）。连接可能被拦截；如设备已重装系统，请按新指纹重新信任。`,
    });
  return new AppError(SshErrors.SSH_HOSTKEY_UNKNOWN, {
    en: `${t.host}:${t.port} is not a known host (key ${v.fingerprint}). Trust it first.`,
    zh: `${t.host}:${t.port} 不是已知主机（密钥 ${v.fingerprint}）。请先信任它。`,
  });
}

export class SshShell implements RemoteShell {
  readonly transport = 'ssh' as const;
  readonly label: string;
  private closed = false;
  /** The connection is gone (no 'close' event will come again). */
  private ended = false;
  private lostReason: string | null = null;
  private sftpSession: SFTPWrapper | null = null;

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** The host key's fingerprint, shown to the user (trust on first use). */
    readonly hostKey: { fingerprint: string; firstUse: boolean },
    /** The cipher negotiated (client to server). */
    readonly cipher: string,
  ) {
    this.label = where(target);
    client.on('close', () => {
      this.ended = true;
      if (!this.closed) this.lostReason ??= 'closed by the peer';
    });
    client.on('error', (e) => {
      this.lostReason = e.message;
    });
  }

  static connect(target: SshTarget, options: SshConnectOptions): Promise<SshShell> {
    const policy = options.hostKeyPolicy ?? 'tofu';
    return new Promise<SshShell>((resolve, reject) => {
      const client = new Client();
      let cipher = '';
      client.once('handshake', (n: { cs: { cipher: string } }) => (cipher = n.cs.cipher));
      let verdict: HostKeyVerdict | null = null;
      let presented: Buffer | null = null;
      let refused: AppError | null = null;
      let settled = false;
      const fail = (e: AppError) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        client.end();
        reject(e);
      };
      const onAbort = () => fail(new AppError('CANCELLED', { en: 'Cancelled.', zh: '已取消。' }));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const config: ConnectConfig = {
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: options.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: 3,
        tryKeyboard: Boolean(target.password),
        hostVerifier: (key: Buffer) => {
          presented = Buffer.from(key);
          verdict = options.knownHosts.check(target.host, target.port, presented);
          if (verdict.kind === 'known') return true;
          if (verdict.kind === 'changed' && options.retrustFingerprint === verdict.fingerprint) return true;
          if (verdict.kind === 'new' && policy === 'tofu') return true;
          refused = hostKeyError(target, verdict);
          return false;
        },
      };
      if (target.password) config.password = target.password;
      if (target.privateKey) {
        config.privateKey = target.privateKey;
        if (target.passphrase) config.passphrase = target.passphrase;
      }
      // chacha20-poly1305 first, as OpenSSH orders it: ssh2 puts AES-GCM first when the station has AES
      // instructions, but many boxes (Atom, ARM, an emulated CPU) have none and run AES-GCM at half the speed.
      const a = target.algorithms ?? {};
      // 'remove' before 'prepend': ssh2 does not move an algorithm already in its list.
      const first = ['chacha20-poly1305@openssh.com'];
      config.algorithms = { cipher: { remove: first, prepend: first, ...(a.cipher?.length ? { append: a.cipher } : {}) } as never };
      if (a.kex?.length) config.algorithms.kex = { append: a.kex } as never;
      if (a.serverHostKey?.length) config.algorithms.serverHostKey = { append: a.serverHostKey } as never;
      if (a.hmac?.length) config.algorithms.hmac = { append: a.hmac } as never;
      // Some boxes only offer keyboard-interactive for passwords.
      client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => target.password ?? '')));
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        const v = verdict as HostKeyVerdict | null;
        const key = presented as Buffer | null;
        let firstUse = false;
        if (v && key) {
          if (v.kind === 'new') {
            options.knownHosts.remember(target.host, target.port, key);
            firstUse = true;
          } else if (v.kind === 'changed') {
            options.knownHosts.retrust(target.host, target.port, key);
            options.log?.(`host key of ${target.host}:${target.port} re-trusted by the user: ${v.fingerprint}`);
          }
          if (firstUse) options.log?.(`new host ${target.host}:${target.port}, key ${v.fingerprint} trusted on first use`);
        }
        resolve(new SshShell(client, target, { fingerprint: v?.fingerprint ?? '', firstUse }, cipher));
      });
      client.on('error', (e) => fail(refused ?? mapConnectError(target, e)));
      client.on('close', () => fail(refused ?? lost(target, 'closed during the handshake')));
      try {
        client.connect(config);
      } catch (e) {
        fail(mapConnectError(target, e as Error));
      }
    });
  }

  private get asRoot(): boolean {
    return this.target.username === 'root';
  }

  private ensureOpen(): void {
    if (this.closed) throw lost(this.target, 'closed');
    if (this.lostReason) throw lost(this.target, this.lostReason);
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.ensureOpen();
    const sudoPassword = this.target.sudoPassword ?? this.target.password ?? '';
    // sudo reads its password from the first line of stdin (-S) without a prompt (-p ''); the command's own stdin follows.
    const wrapped = this.asRoot ? command : `sudo -S -p '' sh -c ${quote(command)}`;
    const timeoutMs = options.timeoutMs ?? 120_000;
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(wrapped, (err, stream: ClientChannel) => {
        if (err) return reject(lost(this.target, err.message));
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        let signal: string | null = null;
        let done = false;
        const finish = (e?: AppError) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.client.off('close', onGone);
          if (e) reject(e);
          else if (!this.asRoot && code === 1 && /incorrect password|a password is required|not in the sudoers|may not run sudo/i.test(stderr))
            reject(
              new AppError(SshErrors.SSH_SUDO_FAILED, {
                en: `sudo on ${this.label} refused: ${stderr.trim().split('\n').pop()}. The user must be allowed to run sudo, with this password.`,
                zh: `${this.label} 上的 sudo 被拒绝：${stderr.trim().split('\n').pop()}。该用户须有 sudo 权限，且密码正确。`,
              }),
            );
          else resolve({ code: code ?? (signal ? 128 + signalNumber(signal) : 255), stdout, stderr });
        };
        const timer = setTimeout(() => {
          stream.signal('KILL');
          stream.close();
          finish(
            new AppError(SshErrors.SHELL_TIMEOUT, {
              en: `The command on ${this.label} did not finish within ${Math.round(timeoutMs / 1000)} s: ${command.slice(0, 80)}`,
              zh: `${this.label} 上的命令未在 ${Math.round(timeoutMs / 1000)} 秒内完成：${command.slice(0, 80)}`,
            }),
          );
        }, timeoutMs);
        const onAbort = () => {
          stream.signal('KILL');
          stream.close();
          finish(new AppError('CANCELLED', { en: 'Cancelled.', zh: '已取消。' }));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const onGone = () => finish(lost(this.target, this.lostReason ?? 'closed by the peer'));
        this.client.once('close', onGone);
        stream.on('data', (d: Buffer) => {
          const s = d.toString('utf8');
          stdout += s;
          options.onStdout?.(s);
        });
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        stream.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig ?? null;
        });
        stream.on('close', () => (this.lostReason && code === null ? finish(lost(this.target, this.lostReason)) : finish()));
        if (!this.asRoot) stream.write(`${sudoPassword}\n`);
        if (options.stdin !== undefined) stream.write(options.stdin);
        stream.end();
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.ensureOpen();
    if (this.sftpSession) return Promise.resolve(this.sftpSession);
    return new Promise((resolve, reject) =>
      this.client.sftp((err, sftp) => {
        if (err) return reject(lost(this.target, `SFTP: ${err.message}`));
        this.sftpSession = sftp;
        sftp.on('close', () => (this.sftpSession = null));
        resolve(sftp);
      }),
    );
  }

  /** sha256 (hex) of the first `length` bytes of a remote file, or of all of it. */
  async remoteSha256(remotePath: string, length?: number): Promise<string | null> {
    const cmd = length === undefined ? `sha256sum ${quote(remotePath)}` : `head -c ${length} ${quote(remotePath)} | sha256sum`;
    const r = await this.exec(cmd, { timeoutMs: 30 * 60_000 });
    const m = /^([0-9a-f]{64})\b/.exec(r.stdout);
    return r.code === 0 && m ? m[1]! : null;
  }

  /**
   * Uploads through `<remotePath>.part`, renamed into place once the box's
   * sha256sum matches. A `.part` left by a dropped connection is resumed
   * from the last offset whose content is verified: writes are in flight
   * several at a time (sftpWriteShape), so only the final window before the
   * partial file's end can hold holes; everything before it is checked by
   * hash and kept.
   *
   * As a user who is not root, the folder must be writable by that user
   * (the flash job makes its upload folder so).
   */
  async upload(localFile: string, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const size = fs.statSync(localFile).size;
    // The local hash, when not given, is read while the upload runs: it is needed only at the end.
    const shaLocal = options.sha256 !== undefined ? Promise.resolve(options.sha256) : sha256File(localFile);
    shaLocal.catch(() => undefined);
    const part = `${remotePath}.part`;
    const sftp = await this.sftp();
    const sizeOf = (file: string) => new Promise<number | null>((resolve) => sftp.stat(file, (err, st) => resolve(err ? null : st.size)));
    const [doneSize, partSize] = await Promise.all([sizeOf(remotePath), sizeOf(part)]);
    // Already there (an earlier run): verified by reading it back, never assumed.
    if (doneSize === size && (await this.remoteSha256(remotePath).catch(() => null)) === (await shaLocal)) {
      options.onProgress?.(size, size);
      return;
    }
    const shape = sftpWriteShape(serverWriteLimit(sftp));
    let offset = 0;
    if (partSize !== null && partSize > 0) {
      // Writes land out of order: only what lies a whole window of writes before the end of the part is kept, once its hash matches.
      const window = shape.chunk * shape.parallel;
      const candidate = Math.max(0, Math.floor((Math.min(partSize, size) - window) / shape.chunk) * shape.chunk);
      if (candidate > 0 && (await this.remoteSha256(part, candidate)) === (await sha256File(localFile, candidate))) offset = candidate;
    }
    // The first report says where this upload starts: 0, or the offset a resume keeps.
    options.onProgress?.(offset, size);
    await this.writeFrom(sftp, localFile, part, offset, size, shape, options);
    const sha = await shaLocal;
    const remote = await this.remoteSha256(part);
    if (remote !== sha) {
      await this.exec(`rm -f ${quote(part)}`).catch(() => undefined);
      throw new AppError(SshErrors.UPLOAD_CORRUPT, {
        en: `The copy on ${this.label} does not match: sha256 ${remote ?? 'unreadable'} instead of ${sha}. It was deleted; retry the upload.`,
        zh: `${this.label} 上的副本不一致：sha256 为 ${remote ?? '无法读取'}，应为 ${sha}。已删除，请重试上传。`,
      });
    }
    const mv = await this.exec(`mv -f ${quote(part)} ${quote(remotePath)}`);
    if (mv.code !== 0)
      throw new AppError(SshErrors.UPLOAD_FAILED, {
        en: `Could not move the upload into place on ${this.label}: ${mv.stderr.trim()}`,
        zh: `无法在 ${this.label} 上将上传文件移动到位：${mv.stderr.trim()}`,
      });
  }

  private writeFrom(
    sftp: SFTPWrapper,
    localFile: string,
    remote: string,
    start: number,
    size: number,
    shape: { chunk: number; parallel: number },
    options: UploadOptions,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      sftp.open(remote, start > 0 ? 'r+' : 'w', 0o600, (err, handle) => {
        if (err) return reject(uploadFailed(this.label, remote, err.message));
        const fd = fs.openSync(localFile, 'r');
        let next = start;
        let inFlight = 0;
        let failed: AppError | null = null;
        // Acknowledged chunks past the contiguous mark, so that progress only counts bytes with none missing before them.
        const acked = new Set<number>();
        let contiguous = start;
        const onAbort = () => (failed ??= new AppError('CANCELLED', { en: 'Cancelled.', zh: '已取消。' }));
        options.signal?.addEventListener('abort', onAbort, { once: true });
        let ended = false;
        const end = (e: AppError | null) => {
          if (ended) return;
          ended = true;
          options.signal?.removeEventListener('abort', onAbort);
          this.client.off('close', onGone);
          fs.closeSync(fd);
          if (gone) reject(e ?? lost(this.target, this.lostReason ?? 'closed'));
          else sftp.close(handle, () => (e ? reject(e) : resolve()));
        };
        // Requests in flight get no answer once the connection is gone: stop at once, not when they would have answered.
        let gone = false;
        const onGone = () => {
          gone = true;
          end(lost(this.target, this.lostReason ?? 'closed by the peer'));
        };
        this.client.once('close', onGone);
        const pump = () => {
          if (failed) {
            if (inFlight === 0) end(failed);
            return;
          }
          if (next >= size && inFlight === 0) {
            options.onProgress?.(size, size);
            return end(null);
          }
          while (inFlight < shape.parallel && next < size && !failed) {
            const pos = next;
            const len = Math.min(shape.chunk, size - pos);
            next += len;
            const buf = Buffer.allocUnsafe(len);
            fs.readSync(fd, buf, 0, len, pos);
            inFlight++;
            sftp.write(handle, buf, 0, len, pos, (werr) => {
              inFlight--;
              if (werr) failed ??= this.lostReason ? lost(this.target, this.lostReason) : uploadFailed(this.label, remote, werr.message);
              else {
                acked.add(pos);
                while (acked.has(contiguous)) {
                  acked.delete(contiguous);
                  contiguous = Math.min(size, contiguous + shape.chunk);
                }
                options.onProgress?.(contiguous, size);
              }
              pump();
            });
          }
        };
        pump();
      });
    });
  }

  /**
   * An interactive login shell on a pseudo-terminal (RFC 4254 §6.2, §6.5),
   * for the terminal: the caller resizes it with setWindow and reads it as a
   * stream. Keep-alives run on the connection, as for every session.
   */
  shell(size: { cols: number; rows: number; term?: string }): Promise<ClientChannel> {
    this.ensureOpen();
    return new Promise((resolve, reject) =>
      this.client.shell({ term: size.term ?? 'xterm-256color', cols: size.cols, rows: size.rows }, (err, stream) => {
        if (err) return reject(lost(this.target, `shell: ${err.message}`));
        resolve(stream);
      }),
    );
  }

  /** Called once when the connection ends, whatever ended it. */
  onEnd(listener: (reason: string) => void): void {
    this.client.once('close', () => listener(this.closed ? 'closed' : (this.lostReason ?? 'closed by the peer')));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ended) return;
    // A live timer, not an unref'd one: it keeps a CLI process alive until the goodbye is done.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.client.end();
    });
  }

  /** For tests of a cable pulled mid-transfer: drop the TCP connection without a goodbye. */
  destroyForTest(): void {
    (this.client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
  }
}

function uploadFailed(label: string, remote: string, why: string): AppError {
  return new AppError(SshErrors.UPLOAD_FAILED, {
    en: `Writing ${remote} on ${label} failed: ${why}. Is the disk full, or the folder not writable?`,
    zh: `在 ${label} 上写入 ${remote} 失败：${why}。磁盘是否已满，或目录不可写？`,
  });
}

function signalNumber(name: string): number {
  const map: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };
  return map[name.replace(/^SIG/, '')] ?? 0;
}

/** sha256 (hex) of a local file, or of its first `length` bytes. */
export function sha256File(file: string, length?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = fs.createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 });
    s.on('data', (d) => h.update(d));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

/** A random token for markers and names. */
export function nonce(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
