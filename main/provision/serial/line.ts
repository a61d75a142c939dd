/**
 * One serial line: the port opened with the model's line settings, the text
 * the box has sent and nobody has read yet, and waiting for a pattern in it.
 *
 * Received bytes are kept as a latin1 string (one char per byte), so that
 * pattern matching never splits a UTF-8 sequence and binary output survives
 * until the caller decodes it.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import type { z } from 'zod';
import type { AppError } from '../../api/errors';
import type { SerialPortSchema } from '../../api/contract';
import { cancelled, disconnectedError, openError } from './errors';

/** The line settings of a hardware model's serial port (SerialPortSchema), which is what the UI hands us. */
export type SerialLineSettings = Pick<z.infer<typeof SerialPortSchema>, 'baud' | 'dataBits' | 'parity' | 'stopBits' | 'flowControl'>;

export const TIMED_OUT = Symbol('timed out');

interface PollerLike {
  poll(flags: number): void;
  listenerCount(event: string): number;
}

/**
 * Works around @serialport/bindings-cpp 13 on Linux and macOS: its native
 * Poller::poll() restarts uv_poll with only the events just asked for, so a
 * read that waits for "readable" drops the interest of a write waiting for
 * "writable" after EAGAIN. With a box that stays silent while it reads a
 * long here-doc, that write then never resumes. Asking for every event
 * someone still waits on keeps both.
 */
function keepBothPollInterests(port: SerialPort): void {
  const poller = (port.port as { poller?: PollerLike } | undefined)?.poller;
  if (!poller || typeof poller.poll !== 'function' || typeof poller.listenerCount !== 'function') return;
  const poll = poller.poll.bind(poller);
  const READABLE = 1;
  const WRITABLE = 2;
  poller.poll = (flags: number) => poll(flags | (poller.listenerCount('readable') > 0 ? READABLE : 0) | (poller.listenerCount('writable') > 0 ? WRITABLE : 0));
}

export class SerialLine extends EventEmitter {
  private port: SerialPort | null = null;
  private received = '';
  private tap: ((chunk: Buffer) => void) | null = null;
  private readonly watchers = new Set<() => void>();
  /** Set when the port went away under us; waiters reject with it. */
  lost: AppError | null = null;

  constructor(
    readonly path: string,
    readonly settings: SerialLineSettings,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    const s = this.settings;
    const port = new SerialPort({
      path: this.path,
      baudRate: s.baud,
      dataBits: s.dataBits as 5 | 6 | 7 | 8,
      parity: s.parity,
      stopBits: s.stopBits,
      rtscts: s.flowControl === 'rts-cts',
      xon: s.flowControl === 'xon-xoff',
      xoff: s.flowControl === 'xon-xoff',
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(openError(this.path, err)) : resolve())));
    keepBothPollInterests(port);
    this.port = port;
    this.lost = null;
    this.received = '';
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    // A write error is reported on 'error' as well as by the close that follows; the close is what we act on.
    port.on('error', () => undefined);
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.port !== port) return;
      if (err?.disconnected) this.gone(err.message);
    });
    this.watchDevice(port);
  }

  /**
   * A pulled USB-serial adapter hangs its tty up: reads then return 0 bytes,
   * which serialport retries rather than reporting, so it notices only at
   * the next write. The device node going away (or a new device at the same
   * path) is the sign that does not wait for one.
   */
  private watchDevice(port: SerialPort): void {
    const identity = (): string | null => {
      try {
        const st = fs.statSync(this.path);
        return `${st.rdev}:${st.ino}`;
      } catch {
        return null;
      }
    };
    const was = identity();
    if (was === null) return;
    const timer = setInterval(() => {
      if (this.port !== port) return clearInterval(timer);
      if (identity() !== was) {
        clearInterval(timer);
        this.gone('the device is no longer there');
      }
    }, 250);
    timer.unref();
  }

  private gone(detail: string): void {
    const port = this.port;
    if (!port) return;
    this.port = null;
    this.lost = disconnectedError(this.path, detail);
    if (port.isOpen) port.close(() => undefined);
    this.notify();
    this.emit('disconnect', this.lost);
  }

  /** Closes the port; waiters reject with reason (the shell's "closed" error). */
  async close(reason?: AppError): Promise<void> {
    const port = this.port;
    this.port = null;
    if (reason) {
      this.lost = reason;
      this.notify();
    }
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onData(chunk: Buffer): void {
    if (this.tap) this.tap(chunk);
    else this.received += chunk.toString('latin1');
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  /** Everything received and not yet taken, cleared. */
  take(): string {
    const t = this.received;
    this.received = '';
    return t;
  }

  peek(): string {
    return this.received;
  }

  /** While set, received bytes go to fn instead of the text buffer (a ZMODEM session owns the line). */
  setTap(fn: ((chunk: Buffer) => void) | null): void {
    this.tap = fn;
  }

  /** Writes and resolves once the OS has taken the bytes (so callers pace themselves to the line). */
  write(data: string | Buffer): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(this.lost ?? disconnectedError(this.path, 'not open'));
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return new Promise((resolve, reject) => {
      const ok = port.write(buf, (err) => {
        if (err) {
          // Mark the line lost now, before the caller sees the error, so it knows the box may still be running its command.
          if (this.port === port) this.gone(err.message);
          reject(this.lost ?? disconnectedError(this.path, err.message));
        } else if (ok) resolve();
      });
      if (!ok) port.once('drain', () => resolve());
    });
  }

  /**
   * Calls check after every arrival until it returns a value. Resolves
   * TIMED_OUT when timeoutMs passes first; rejects when the line is lost or
   * the signal aborts.
   */
  wait<T>(check: () => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T | typeof TIMED_OUT> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled());
      const done = (fn: () => void) => {
        this.watchers.delete(watcher);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => done(() => reject(cancelled()));
      const watcher = () => {
        if (this.lost) return done(() => reject(this.lost));
        let v: T | undefined;
        try {
          v = check();
        } catch (e) {
          return done(() => reject(e));
        }
        if (v !== undefined) done(() => resolve(v));
      };
      const timer = setTimeout(() => done(() => resolve(TIMED_OUT)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.watchers.add(watcher);
      watcher();
    });
  }

  /**
   * Waits up to firstMs for the box to say anything, then until it has been
   * quiet for quietMs (at most maxMs in all). Returns everything buffered,
   * without taking it.
   */
  async settle(firstMs: number, quietMs: number, maxMs: number, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + maxMs;
    let wait = firstMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const length = this.received.length;
      const r = await this.wait(() => (this.received.length !== length ? true : undefined), Math.min(wait, left), signal);
      if (r === TIMED_OUT) break;
      wait = quietMs;
    }
    return this.received;
  }
}
