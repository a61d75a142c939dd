/**
 * The service side of the native I/O process: starts it, restarts it when it
 * dies, and sends it requests with timeouts. The process itself comes from a
 * ChannelFactory: Electron's utilityProcess in main/app, a Node child process
 * in the headless host and the CLI.
 */
import { fork } from 'node:child_process';
import type { Socket } from 'node:net';
import type { NativeHealth } from '../api/contract';
import { AppError, type LocalizedText } from '../api/errors';
import { NativeReasons, nativeTimeout, nativeUnavailable } from './errors';
import { OUTPUT_SOCKET, OUTPUT_SOCKET_RELEASED, type NativeMessage, type NativeRequest } from './protocol';

export interface NativeChannel {
  readonly pid: number | null;
  /** Sends a request; `onFailed` hears a write that failed (the process died before it read it). */
  send(message: NativeRequest, onFailed: (error: Error) => void): void;
  /** Hands the process a socket with a message (a Node child process only: Electron's utility process cannot take one). */
  sendSocket?(message: NativeRequest, socket: Socket, done: (error: Error | null) => void): void;
  onMessage(listener: (message: NativeMessage) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type NativeKind = NativeHealth['kind'];
export type ChannelFactory = () => NativeChannel;

const READY_TIMEOUT_MS = 15_000;
const MAX_RESTARTS = 5;

export class NativeHost {
  private channel: NativeChannel | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private startedAt = 0;
  private restarts = 0;
  /** Why the process is not there, once it has failed. */
  private lastError: LocalizedText | null = null;
  private disposed = false;
  private starting: Promise<void> | null = null;
  private readonly eventListeners = new Map<string, Set<(data: unknown) => void>>();
  private readonly exitListeners = new Set<(reason: string) => void>();

  constructor(
    readonly kind: NativeKind,
    private readonly factory: ChannelFactory,
  ) {}

  start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = new Promise<void>((resolve, reject) => {
      let ch: NativeChannel;
      try {
        ch = this.factory();
      } catch (e) {
        this.lastError = NativeReasons.notStarted((e as Error).message);
        this.starting = null;
        reject(nativeUnavailable(this.lastError));
        return;
      }
      this.channel = ch;
      const timer = setTimeout(() => {
        this.lastError = NativeReasons.notReady(READY_TIMEOUT_MS / 1000);
        ch.kill();
        reject(nativeUnavailable(this.lastError));
      }, READY_TIMEOUT_MS);
      ch.onMessage((m) => {
        if ('event' in m) {
          for (const l of this.eventListeners.get(m.event) ?? []) l(m.data);
          return;
        }
        if ('ready' in m) {
          clearTimeout(timer);
          this.startedAt = Date.now();
          this.lastError = null;
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else if (m.appError) p.reject(new AppError(m.appError.code, m.appError.message, m.appError));
        else p.reject(new Error(m.error));
      });
      ch.onExit((code) => {
        clearTimeout(timer);
        if (this.channel === ch) this.channel = null;
        this.starting = null;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(nativeUnavailable(NativeReasons.exitedDuring(code, p.method)));
          this.pending.delete(id);
        }
        if (this.disposed) return;
        this.lastError = NativeReasons.exited(code);
        for (const l of this.exitListeners) l(`the native I/O process ${this.lastError.en}`);
        reject(nativeUnavailable(this.lastError));
        if (this.restarts < MAX_RESTARTS) {
          this.restarts++;
          setTimeout(() => void this.start().catch(() => undefined), 250 * this.restarts).unref();
        }
      });
    });
    return this.starting;
  }

  async request<T>(method: string, params?: unknown, timeoutMs = 10_000): Promise<T> {
    if (!this.channel) await this.start();
    const ch = this.channel;
    if (!ch) throw nativeUnavailable(this.lastError ?? NativeReasons.notRunning());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(nativeTimeout(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      ch.send({ id, method, params }, (e) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        reject(nativeUnavailable(NativeReasons.unreachable(method, (e as NodeJS.ErrnoException).code ?? e.message)));
      });
    });
  }

  /**
   * Hands a window's output socket or output stream to the process
   * (main/terminal/output-socket.ts), with the request the host has checked. Refused where the process
   * cannot take a socket (Electron's utility process) or is not running.
   */
  async handOverOutputSocket(request: unknown, socket: Socket): Promise<void> {
    const method = OUTPUT_SOCKET;
    if (!this.channel) await this.start();
    const ch = this.channel;
    if (!ch) throw nativeUnavailable(this.lastError ?? NativeReasons.notRunning());
    if (!ch.sendSocket) throw nativeUnavailable(NativeReasons.unreachable(method, 'no socket passing'));
    await new Promise<void>((resolve, reject) =>
      ch.sendSocket!({ id: this.nextId++, method, params: request }, socket, (e) => {
        if (e) reject(nativeUnavailable(NativeReasons.unreachable(method, (e as NodeJS.ErrnoException).code ?? e.message)));
        else resolve();
      }),
    );
  }

  /** Listens to the worker's `event` messages; returns the unsubscribe. */
  on(event: string, listener: (data: unknown) => void): () => void {
    const set = this.eventListeners.get(event) ?? new Set();
    set.add(listener);
    this.eventListeners.set(event, set);
    return () => set.delete(listener);
  }

  /** Called when the worker dies (a native crash): whatever lived in it is gone. */
  onExit(listener: (reason: string) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async health(): Promise<NativeHealth> {
    try {
      const r = await this.request<{ pid: number; uptimeMs: number; modules: NativeHealth['modules'] }>('health');
      return { ok: r.modules.every((m) => m.ok), kind: this.kind, pid: r.pid, uptimeMs: r.uptimeMs, restarts: this.restarts, modules: r.modules, error: null };
    } catch (e) {
      // The worker's own failures are plain Errors, in English only.
      const error = e instanceof AppError ? e.text : { en: (e as Error).message, zh: (e as Error).message };
      return { ok: false, kind: this.kind, pid: null, uptimeMs: 0, restarts: this.restarts, modules: [], error };
    }
  }

  /** For tests and diagnostics: kill the process as a native crash would. */
  crashForTest(): void {
    this.channel?.kill();
  }

  /** Whether the process is there now (asking it anything would start it otherwise). */
  get running(): boolean {
    return this.channel !== null;
  }

  get uptimeMs(): number {
    return this.channel ? Date.now() - this.startedAt : 0;
  }

  dispose(): void {
    this.disposed = true;
    this.channel?.kill();
    this.channel = null;
  }
}

/** The headless host's and the CLI's native process: a Node child process. */
export function childProcessChannel(entry: string): ChannelFactory {
  return () => {
    const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    return {
      get pid() {
        return child.pid ?? null;
      },
      send: (m, onFailed) => {
        if (!child.connected) return onFailed(new Error('the IPC channel is closed'));
        // With a callback, a write to a process that has just died (EPIPE) comes back here
        // instead of being thrown as the child's unhandled 'error' event.
        child.send(m, (e) => {
          if (e) onFailed(e);
        });
      },
      sendSocket: (m, socket, done) => {
        if (!child.connected) return done(new Error('the IPC channel is closed'));
        let answered = false;
        const once = (e: Error | null) => {
          if (answered) return;
          answered = true;
          done(e);
        };
        // Sent as a copy: once it is on its way, this process closes its own socket the usual way, so that its HTTP
        // server lets go of the connection (a socket Node hands over without a copy stays in the server's list of
        // connections, and its close then fails). The connection lives on in the child's copy. The release tells the
        // child that nothing here reads the socket any more.
        child.send(m, socket, { keepOpen: true }, (e) => {
          if (e) return once(e);
          socket.destroy();
          child.send({ id: m.id, method: OUTPUT_SOCKET_RELEASED }, (e2) => once(e2));
        });
      },
      onMessage: (l) => child.on('message', (m) => l(m as NativeMessage)),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}
