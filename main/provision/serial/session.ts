/**
 * SerialShell: the RemoteShell of a box's serial console (DESIGN.md §3b
 * "Serial"). One command at a time goes down the line, wrapped in markers
 * (markers.ts); uploads use ZMODEM when the box has rz, base64 otherwise
 * (upload.ts). When the port goes away (a USB-serial adapter pulled), the
 * command in flight fails with SERIAL_DISCONNECTED and the shell polls for
 * the device to come back, reopens it and finds its shell again.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppError } from '../../api/errors';
import type { ExecOptions, ExecResult, RemoteShell } from '../shell';
import { SerialErrors, cancelled, closedError, serialError } from './errors';
import { SerialLine, TIMED_OUT, type SerialLineSettings } from './line';
import { LOGIN_PROMPT, prepareShell, reachShell, type ShellFacts } from './login';
import { MarkerParser, assignBase64, newNonce, probeAnswer, probeCommand, wrapCommand } from './markers';
import { uploadOverSerial, type SerialUploadOptions, type SerialUploadResult, type RunOptions } from './upload';
import { ZmodemSender, type ZmodemSendOptions, type ZmodemSendResult } from './zmodem';

export type SerialShellState = 'open' | 'reconnecting' | 'closed';

export interface SerialShellOptions {
  /** /dev/ttyUSB0, /dev/serial/by-id/…, COM3. */
  path: string;
  line: SerialLineSettings;
  username: string;
  password?: string;
  /** For a user who is not root: commands then run through `sudo -S`. */
  sudoPassword?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How long the box may stay silent before SERIAL_NO_RESPONSE. Default 20 s. */
  responseTimeoutMs?: number;
  /** How long to look for a re-plugged adapter before giving up; 0 turns reconnecting off. Default 120 s. */
  reconnectTimeoutMs?: number;
  /** How often to look for the device while reconnecting. Default 500 ms. */
  reconnectPollMs?: number;
}

const open = new Map<string, Set<SerialShell>>();

function portKey(path: string): string {
  try {
    return fs.realpathSync(path);
  } catch {
    return path;
  }
}

export class SerialShell extends EventEmitter implements RemoteShell {
  readonly transport = 'serial' as const;
  readonly label: string;
  private _state: SerialShellState = 'open';
  private readonly line: SerialLine;
  private facts: ShellFacts | null = null;
  private sudo: 'password' | 'nopasswd' | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** Why the shell is closed, when it closed by itself (the adapter never came back). */
  private closedBy: AppError | null = null;
  private readonly key: string;
  private readonly log: (line: string) => void;
  /** What was on the line when it went away: the box may still be running it. */
  private running: 'command' | 'zmodem' | null = null;
  /** How the last successful upload went (method, resumed bytes), for logs and tests. */
  lastUpload: SerialUploadResult | null = null;

  private constructor(private readonly o: SerialShellOptions) {
    super();
    this.label = o.path;
    this.line = new SerialLine(o.path, o.line);
    this.key = portKey(o.path);
    this.log = o.log ?? (() => undefined);
    this.line.on('disconnect', (e: AppError) => void this.reconnect(e));
  }

  /** Opens the port and reaches a logged-in shell. Use openSerialShell(). */
  static async open(o: SerialShellOptions): Promise<SerialShell> {
    const shell = new SerialShell(o);
    await shell.line.open();
    try {
      await shell.attach(o.signal);
    } catch (e) {
      // Failing after the login (sudo refused) must not leave a logged-in shell on the console.
      await shell.close();
      throw e;
    }
    let set = open.get(shell.key);
    if (!set) open.set(shell.key, (set = new Set()));
    set.add(shell);
    return shell;
  }

  get state(): SerialShellState {
    return this._state;
  }

  /** Who the commands run as, and how. */
  get identity(): { user: string; uid: number; sudo: 'password' | 'nopasswd' | null; loggedInByUs: boolean } {
    const f = this.known;
    return { user: f.user, uid: f.uid, sudo: this.sudo, loggedInByUs: f.loggedInByUs };
  }

  /** What the box offers for uploads. */
  get tools(): ShellFacts['tools'] {
    return { ...this.known.tools };
  }

  /** What prepareShell found; there is always one once open() resolved. */
  private get known(): ShellFacts {
    if (!this.facts) throw closedError(this.label);
    return this.facts;
  }

  get lineSettings(): SerialLineSettings {
    return this.o.line;
  }

  private setState(s: SerialShellState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  private async attach(signal?: AbortSignal): Promise<void> {
    const opts = { log: this.log, signal, responseTimeoutMs: this.o.responseTimeoutMs ?? 20_000 };
    const creds = { username: this.o.username, password: this.o.password };
    let f = await prepareShell(this.line, await reachShell(this.line, creds, opts), opts);
    if (f.reused && f.user !== this.o.username) {
      // An EdgeForge shell another session left for another user (root's, when tech is asked for): leave it and log in as asked.
      this.log(`${this.label}: EdgeForge's shell there runs as ${f.user}, not ${this.o.username}; leaving it`);
      await this.leave(f.loggedInByUs, false);
      f = await prepareShell(this.line, await reachShell(this.line, creds, opts), opts);
    }
    this.facts = f;
    this.log(`${this.label}: shell ready as ${f.user} (uid ${f.uid})${f.tools.rz ? ', rz present' : ', no rz'}`);
    this.sudo = null;
    if (f.uid !== 0 && this.o.sudoPassword !== undefined) await this.setUpSudo(this.o.sudoPassword, signal);
  }

  private async setUpSudo(password: string, signal?: AbortSignal): Promise<void> {
    const nopasswd = await this.runNow('sudo -k -n true 2>/dev/null', { timeoutMs: 20_000, signal, asUser: true });
    if (nopasswd.code === 0) {
      this.sudo = 'nopasswd';
      return;
    }
    await this.line.write(assignBase64('__ef_pw', password, newNonce()));
    this.sudo = 'password';
    // The first sudo may print its lecture; it lands in this check's output, not in a real command's.
    const check = await this.runNow('id -u', { timeoutMs: 30_000, signal });
    if (check.code !== 0 || check.stdout.trim().split('\n').pop() !== '0') {
      this.sudo = null;
      throw serialError(
        SerialErrors.SERIAL_SUDO_FAILED,
        `sudo refused ${this.known.user} on ${this.label}: check the sudo password and that the user may use sudo (group sudo or wheel).`,
        `${this.label} 上的 sudo 拒绝了 ${this.known.user}：请检查 sudo 密码，以及该用户是否有权使用 sudo（sudo 或 wheel 组）。`,
        { field: ['credentials', 'sudoPassword'] },
      );
    }
  }

  /** Serialises work on the line: one command (or upload) at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits out a reconnect; throws when the shell is closed. */
  private async ready(signal?: AbortSignal): Promise<void> {
    while (this._state === 'reconnecting') {
      if (signal?.aborted) throw cancelled();
      await new Promise<void>((resolve) => {
        const done = () => {
          this.off('state', done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.once('state', done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (this._state === 'closed') throw this.closedBy ?? closedError(this.label);
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.serial(async () => {
      await this.ready(options.signal);
      return this.runNow(command, options);
    });
  }

  /** One command on the line, now (the caller holds the queue). */
  private async runNow(command: string, o: RunOptions = {}): Promise<ExecResult> {
    const nonce = newNonce();
    const decoder = new StringDecoder('utf8');
    const onStdout = o.onStdout;
    const parser = new MarkerParser(
      nonce,
      onStdout
        ? (latin1) => {
            const s = decoder.write(Buffer.from(latin1, 'latin1'));
            if (s) onStdout(s);
          }
        : undefined,
    );
    const stdin = o.stdin === undefined ? undefined : Buffer.from(o.stdin);
    const text = wrapCommand(command, { nonce, stdin, sudo: o.asUser ? null : this.sudo });
    const timeoutMs = o.timeoutMs ?? 120_000;
    this.line.take();
    const waiting = this.line.wait(() => (parser.feed(this.line.take()) ? true : undefined), timeoutMs, o.signal);
    // The timer runs while the text is still going down the line (a slow line, or flow control holding it).
    const sent = this.line.write(text).then(() => waiting);
    sent.catch(() => undefined);
    let r: true | typeof TIMED_OUT;
    this.running = 'command';
    try {
      r = await Promise.race([waiting, sent]);
    } catch (e) {
      if ((e as AppError).code === SerialErrors.CANCELLED) await this.interrupt(false);
      throw e;
    } finally {
      if (!this.line.lost) this.running = null;
    }
    if (r === TIMED_OUT) {
      const back = await this.interrupt(false);
      throw serialError(
        SerialErrors.SHELL_TIMEOUT,
        `A command on ${this.label} did not finish within ${Math.round(timeoutMs / 1000)} s (${summary(command)}). ${back ? 'EdgeForge interrupted it with Ctrl-C.' : 'Ctrl-C did not bring the shell back either.'}`,
        `${this.label} 上的命令未在 ${Math.round(timeoutMs / 1000)} 秒内完成（${summary(command)}）。${back ? 'EdgeForge 已用 Ctrl-C 中断它。' : 'Ctrl-C 也未能恢复 shell。'}`,
      );
    }
    return { code: parser.code ?? -1, stdout: Buffer.from(parser.output, 'latin1').toString('utf8'), stderr: '' };
  }

  /**
   * Gets the line back after a command overran: the ZMODEM cancel sequence
   * when rz may be running (raw mode ignores Ctrl-C), then Ctrl-C, then a
   * probe. Returns whether the shell answered.
   */
  private async interrupt(zmodem: boolean): Promise<boolean> {
    // Writes queue behind whatever is still going out; one that does not get through in time means the line is stuck.
    const write = (data: string | Buffer) => {
      const w = this.line.write(data);
      w.catch(() => undefined);
      return Promise.race([w, sleep(5_000).then(() => Promise.reject(new Error('the line takes no more data')))]);
    };
    try {
      if (zmodem) {
        await write(Buffer.from([24, 24, 24, 24, 24, 24, 24, 24, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]));
        await sleep(300);
      }
      for (let i = 0; i < 3; i++) {
        await write('\x03');
        await sleep(200);
        const nonce = newNonce();
        this.line.take();
        await write(probeCommand(nonce));
        const r = await this.line.wait(() => probeAnswer(this.line.peek(), nonce), 5_000);
        this.line.take();
        if (r !== TIMED_OUT) return true;
      }
    } catch {
      // The line went away meanwhile; the reconnect deals with it.
    }
    return false;
  }

  /**
   * Runs `command` (which starts rz) with the line handed to a ZMODEM sender
   * while it runs. Resolves with rz's exit status and what the sender did.
   */
  private async runZmodem(
    command: string,
    file: { path: string; size: number; mtimeMs: number },
    z: ZmodemSendOptions,
  ): Promise<{ code: number; result: ZmodemSendResult | null; error: Error | null }> {
    const nonce = newNonce();
    const parser = new MarkerParser(nonce);
    // Up to WINDOW bytes may wait in the port's queue: enough to keep the line busy while the next piece is read from disk,
    // little enough that progress stays close to what the line has actually carried.
    const WINDOW = 32 * 1024;
    let inFlight = 0;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const sender = new ZmodemSender(
      {
        write: (bytes) => {
          inFlight += bytes.length;
          this.line.write(bytes).then(
            () => {
              inFlight -= bytes.length;
              if (inFlight <= WINDOW) wake?.();
            },
            (e: Error) => {
              failure = e;
              wake?.();
            },
          );
          return inFlight <= WINDOW;
        },
        drained: () =>
          new Promise<void>((resolve, reject) => {
            const check = () => {
              if (failure) return reject(failure);
              if (inFlight > WINDOW) return void (wake = check);
              wake = null;
              resolve();
            };
            check();
          }),
        terminal: (bytes) => {
          // The command ended: if that is before the transfer did (cd failed, rz missing or killed), stop waiting for it.
          if (parser.feed(bytes.toString('latin1')))
            sender.fail(new Error(`rz ended (status ${parser.code}) before the transfer did: ${parser.output.trim().slice(-160) || 'no message'}`));
        },
      },
      file,
      z,
    );
    this.line.take();
    this.line.setTap((chunk) => sender.consume(chunk));
    this.running = 'zmodem';
    try {
      await this.line.write(wrapCommand(command, { nonce, tty: true, sudo: null }));
      let result: ZmodemSendResult | null = null;
      let error: Error | null = null;
      try {
        result = await sender.done;
      } catch (e) {
        error = e as Error;
        if ((e as AppError).code === SerialErrors.SERIAL_DISCONNECTED || this.line.lost) throw this.line.lost ?? e;
      }
      // rz exits after "OO" (or the cancel sequence); the end marker then carries its status.
      const r = await this.line.wait(() => (parser.done ? true : undefined), 15_000);
      if (r === TIMED_OUT) {
        const back = await this.interrupt(true);
        if (!back) throw error ?? new Error('rz did not exit and the shell did not come back');
        return { code: -1, result, error: error ?? new Error('rz did not exit after the transfer') };
      }
      return { code: parser.code ?? -1, result, error };
    } finally {
      sender.fail(new Error('finished'));
      this.line.setTap(null);
      if (!this.line.lost) this.running = null;
    }
  }

  upload(localFile: string, remotePath: string, options: SerialUploadOptions = {}): Promise<void> {
    return this.serial(async () => {
      await this.ready(options.signal);
      this.lastUpload = await uploadOverSerial(this.uploadHost(), localFile, remotePath, options);
    });
  }

  /** What upload.ts needs from the shell, with the queue already held. */
  private uploadHost() {
    return {
      label: this.label,
      line: this.o.line,
      tools: this.known.tools,
      sudo: this.sudo !== null,
      log: this.log,
      exec: (command: string, o?: RunOptions) => this.runNow(command, o),
      zmodem: (command: string, file: { path: string; size: number; mtimeMs: number }, z: ZmodemSendOptions) => this.runZmodem(command, file, z),
    };
  }

  /** The port went away: fail what was running, then look for the device until it is back. */
  private async reconnect(e: AppError): Promise<void> {
    if (this.closing || this._state !== 'open') return;
    this.log(`${this.label}: ${e.text.en}`);
    const limit = this.o.reconnectTimeoutMs ?? 120_000;
    if (limit <= 0) return this.shutDown(e);
    this.setState('reconnecting');
    const deadline = Date.now() + limit;
    const poll = this.o.reconnectPollMs ?? 500;
    let lastError: AppError | null = null;
    while (!this.closing && Date.now() < deadline) {
      await sleep(poll);
      if (this.closing) return;
      if (!fs.existsSync(this.o.path)) continue;
      try {
        await this.line.open();
      } catch (err) {
        lastError = err as AppError;
        continue;
      }
      try {
        this.log(`${this.label}: the device is back; finding the shell again`);
        if (this.running) {
          // The box may still run what was cut off; rz in particular holds the console until cancelled.
          this.log(`${this.label}: interrupting the ${this.running === 'zmodem' ? 'ZMODEM transfer' : 'command'} that was cut off`);
          await this.interrupt(this.running === 'zmodem');
          this.running = null;
        }
        await this.attach();
        if (this.closing) return;
        this.setState('open');
        this.log(`${this.label}: reconnected`);
        return;
      } catch (err) {
        lastError = err as AppError;
        if (this.line.lost) continue;
        await this.line.close();
        return this.shutDown(lastError);
      }
    }
    if (this.closing) return;
    await this.shutDown(
      serialError(
        SerialErrors.SERIAL_DISCONNECTED,
        `${this.label} did not come back within ${Math.round(limit / 1000)} s${lastError ? ` (${lastError.text.en})` : ''}. Plug the adapter in again and reconnect.`,
        `${this.label} 在 ${Math.round(limit / 1000)} 秒内未恢复${lastError ? `（${lastError.text.zh}）` : ''}。请重新插好适配器后再连接。`,
        { file: this.label },
      ),
    );
  }

  private async shutDown(reason: AppError): Promise<void> {
    this.closedBy = reason;
    open.get(this.key)?.delete(this);
    await this.line.close(closedError(this.label));
    this.setState('closed');
  }

  /**
   * Leaves EdgeForge's shell (echo back on), and logs out when EdgeForge did
   * the login. Each line waits for the box's answer to the one before:
   * dash can lose a line typed right behind Ctrl-C or behind its own exit.
   */
  private async leave(logout: boolean, interrupt: boolean): Promise<void> {
    // From here the box's answers are this method's, not a command's still waiting for its marker.
    let seen = '';
    this.line.setTap((chunk) => (seen += chunk.toString('latin1')));
    const quiet = async () => {
      let length = -1;
      for (let i = 0; i < 10 && seen.length !== length; i++) {
        length = seen.length;
        await this.line.wait(() => (seen.length !== length ? true : undefined), 500);
      }
    };
    try {
      if (interrupt) {
        await this.line.write('\x03');
        await sleep(500);
      }
      await this.line.write('stty echo; exit\n');
      await quiet();
      if (logout) {
        await this.line.write('exit\n');
        // Wait for getty's prompt: closing the port sooner can drop the logout still queued for a slow box.
        await this.line.wait(() => (LOGIN_PROMPT.test(seen.replace(/\r/g, '')) ? true : undefined), 10_000);
      }
    } finally {
      this.line.setTap(null);
    }
  }

  /**
   * Frees the port. By default EdgeForge leaves its shell and, when it did
   * the login, logs out, so the console is back at its login prompt.
   */
  async close(options: { logout?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    open.get(this.key)?.delete(this);
    if (this._state === 'open' && this.facts && this.line.isOpen && options.logout !== false) {
      try {
        await this.leave(this.facts.loggedInByUs, Boolean(this.running));
      } catch {
        // The line is going away anyway.
      }
    }
    await this.line.close(closedError(this.label));
    this.setState('closed');
  }
}

function summary(command: string): string {
  const one = command.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}…` : one;
}

export async function openSerialShell(opts: SerialShellOptions): Promise<SerialShell> {
  if (opts.signal?.aborted) throw cancelled();
  return SerialShell.open(opts);
}

/** Closes every SerialShell this process holds on the port (the UI's "free the port"). Resolves whether there was one. */
export async function freePort(path: string): Promise<boolean> {
  const shells = [...(open.get(portKey(path)) ?? [])];
  await Promise.all(shells.map((s) => s.close()));
  return shells.length > 0;
}
