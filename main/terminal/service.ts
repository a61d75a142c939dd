/**
 * The terminal as the API sees it. Sessions run in the native I/O process
 * (main/terminal/sessions.ts), which also keeps their output: its replay
 * buffer (a reloaded window attaches again and sees what it missed), its
 * readers and its acknowledgements (main/terminal/output-log.ts). This side
 * keeps each session's state as windows are shown it, tells the worker of
 * each change, and relays the renderer's acknowledgements.
 *
 * A window reads a session's output on its own socket to the native process
 * where it can (the headless host's /terminal-output, outputSocket below),
 * and through attach here otherwise: then this side relays what the worker
 * reads for it.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import os from 'node:os';
import type { TerminalEvent, TerminalFeedEvent, TerminalOpen, TerminalSession } from '../api/contract';
import { AppError, type LocalizedText } from '../api/errors';
import { parseKubeconfig, type ClusterService } from '../cluster';
import type { NativeHost } from '../native';
import type { FlashService, KnownHosts } from '../provision';
import { LEGACY_ALGORITHMS, type SshTarget } from '../provision/ssh';
import { sessionEnded, sessionNotFound, TerminalErrors } from './errors';
import { localShells } from './local';
import type { HandedRequest } from './output-socket';
import {
  POD_KEEPALIVE_MS,
  TERMINAL_EVENT,
  type KubeEndpoint,
  type TerminalOutputEvent,
  type TerminalWorkerEvent,
  type WorkerOpen,
  type WorkerOpened,
} from './protocol';

interface Meta {
  view: TerminalSession;
  /** The attach streams relayed here: each gets the session's changes. */
  listeners: Set<(e: TerminalEvent) => void>;
  /** Closed and forgotten: every attached window's stream ends. */
  gone: boolean;
  /** A pod session's cluster: the session ends when that cluster's credential is revoked. */
  clusterId: string | null;
  /** Why the station hung it up, shown instead of what the transport says of its end. */
  endedBy: LocalizedText | null;
}

export class TerminalService {
  private readonly sessions = new Map<string, Meta>();
  /** Every window's session list: opened, changed, ended. */
  private readonly watchers = new Set<(e: TerminalFeedEvent) => void>();
  /** The worker's readers for the attach streams relayed here, by number. */
  private readonly reads = new Map<number, (e: TerminalOutputEvent) => void>();
  private nextRead = 1;

  constructor(
    private readonly d: {
      native: NativeHost;
      knownHosts: KnownHosts;
      flash: Pick<FlashService, 'sshAccess'>;
      clusters: Pick<ClusterService, 'kubeconfig' | 'list' | 'onCredentialEnded'>;
      /** How often pod sessions ping their API server (POD_KEEPALIVE_MS); tests shorten it. */
      podKeepaliveMs?: number;
    },
  ) {
    d.native.on(TERMINAL_EVENT, (e) => this.onWorker(e as TerminalWorkerEvent));
    // A revoked credential or a forgotten cluster ends the pod shells opened with it (as it ends the console's watches).
    d.clusters.onCredentialEnded((clusterId, reason) => {
      for (const m of this.sessions.values()) if (m.clusterId === clusterId && m.view.state !== 'exited') void this.endWith(m, reason.text);
    });
    d.native.onExit(() => {
      for (const m of this.sessions.values())
        if (m.view.state !== 'exited')
          this.update(
            m,
            {
              state: 'exited',
              status: {
                en: 'The native I/O process stopped unexpectedly; this session is gone. Open a new one.',
                zh: '原生 I/O 进程意外停止；此会话已失去。请新开一个。',
              },
            },
            false,
          );
    });
  }

  /** Calls `fn` with each session whenever it is opened or changes; returns the unsubscribe. */
  subscribe(fn: (e: TerminalFeedEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  list(): TerminalSession[] {
    return [...this.sessions.values()].map((m) => m.view);
  }

  shells(): { path: string; name: string }[] {
    return localShells();
  }

  async open(input: TerminalOpen): Promise<TerminalSession> {
    const id = `trm_${randomBytes(8).toString('hex')}`;
    const base = { id, cols: input.cols, rows: input.rows };
    let spec: WorkerOpen;
    // What the session is connected to; its tab shows the last part (a shell's or a port's name) unless tabTitle is set.
    let title: string;
    let tabTitle: string | null = null;
    if (input.kind === 'local') {
      const shells = localShells();
      const shell = input.shell ?? shells[0]?.path;
      if (!shell || !shells.some((s) => s.path === shell))
        throw new AppError(
          TerminalErrors.SHELL_MISSING,
          shell
            ? {
                en: `${shell} is not one of this station's shells (${shells.map((s) => s.path).join(', ')}).`,
                zh: `${shell} 不是本工作站的 shell（${shells.map((s) => s.path).join('、')}）。`,
              }
            : { en: 'This station has no shell to start.', zh: '本工作站没有可启动的 shell。' },
          { field: ['shell'] },
        );
      spec = { ...base, kind: 'local', shell, args: process.platform === 'win32' ? [] : ['-l'], cwd: input.cwd ?? os.homedir() };
      title = shell;
    } else if (input.kind === 'serial') {
      const { baud, dataBits, parity, stopBits, flowControl } = input;
      spec = { ...base, kind: 'serial', path: input.path, settings: { baud, dataBits, parity, stopBits, flowControl } };
      title = input.path;
    } else if (input.kind === 'pod') {
      const api = this.kubeEndpoint(input.clusterId);
      const { namespace, pod, command } = input;
      const container = input.container?.trim() || null;
      spec = { ...base, kind: 'pod', api, namespace, pod, container, command, keepaliveMs: this.d.podKeepaliveMs ?? POD_KEEPALIVE_MS };
      // Until the worker has resolved an omitted container.
      title = `${api.cluster}/${namespace}/${pod}${container ? `/${container}` : ''}`;
      tabTitle = container ? `${pod}/${container}` : pod;
    } else {
      const target = this.sshTarget(input);
      const known = this.d.knownHosts.snapshot(target.host, target.port);
      spec = {
        ...base,
        kind: 'ssh',
        target,
        known: { ...known, key: known.key ? known.key.toString('base64') : null },
        ...(input.retrustFingerprint ? { retrustFingerprint: input.retrustFingerprint } : {}),
      };
      title = `${target.username}@${target.host}`;
    }
    const meta: Meta = {
      view: {
        id,
        kind: input.kind,
        title: tabTitle ?? title.split(/[\\/]/).pop() ?? title,
        target: title,
        state: 'connecting',
        status: null,
        exitCode: null,
        cols: input.cols,
        rows: input.rows,
        newline: input.kind === 'serial' ? input.newline : null,
        encoding: input.kind === 'serial' ? 'bytes' : 'utf8',
        hostKey: null,
        offset: 0,
        createdAt: new Date().toISOString(),
      },
      listeners: new Set(),
      gone: false,
      clusterId: input.kind === 'pod' ? input.clusterId : null,
      endedBy: null,
    };
    // Registered before the worker answers: its first output and state may come before the answer.
    this.sessions.set(id, meta);
    let opened: WorkerOpened & { title: string; target: string };
    try {
      opened = await this.d.native.request<WorkerOpened & { title: string; target: string }>('terminal.open', spec, 60_000);
    } catch (e) {
      this.sessions.delete(id);
      for (const w of this.watchers) w({ type: 'closed', id });
      throw e;
    }
    if (spec.kind === 'ssh' && opened.record) {
      const key = Buffer.from(opened.record.key, 'base64');
      if (opened.record.kind === 'remember') this.d.knownHosts.remember(spec.target.host, spec.target.port, key);
      else this.d.knownHosts.retrust(spec.target.host, spec.target.port, key);
    }
    this.update(meta, { title: opened.title, target: opened.target, hostKey: opened.hostKey });
    return meta.view;
  }

  private sshTarget(input: Extract<TerminalOpen, { kind: 'ssh' }>): SshTarget {
    if (input.boxId) {
      const { label: _label, ...target } = this.d.flash.sshAccess(input.boxId);
      return target;
    }
    if (!input.host)
      throw new AppError(
        TerminalErrors.TARGET_MISSING,
        { en: 'Give the host to connect to, or pick a flashed box.', zh: '请填写要连接的主机，或选择一台已刷机的设备。' },
        { field: ['host'] },
      );
    if (!input.username)
      throw new AppError(TerminalErrors.TARGET_MISSING, { en: 'Give the user to log in as.', zh: '请填写登录用户名。' }, { field: ['username'] });
    const target: SshTarget = { host: input.host, port: input.port, username: input.username };
    if (input.password) target.password = input.password;
    if (input.privateKey) target.privateKey = input.privateKey;
    if (input.passphrase) target.passphrase = input.passphrase;
    if (input.legacyAlgorithms) target.algorithms = LEGACY_ALGORITHMS;
    return target;
  }

  /** What the native process needs to reach the cluster's API server, from its kubeconfig (the worker has no store). */
  private kubeEndpoint(clusterId: string): KubeEndpoint {
    const yaml = this.d.clusters.kubeconfig(clusterId);
    const name = this.d.clusters.list().find((c) => c.id === clusterId)?.name ?? clusterId;
    const { cluster, user } = parseKubeconfig(yaml, name);
    const pem = (base64: string | undefined) => (base64 ? Buffer.from(base64, 'base64').toString('utf8') : null);
    return {
      cluster: name,
      server: cluster.server,
      ca: pem(cluster.caData),
      insecure: cluster.skipTLSVerify,
      serverName: cluster.tlsServerName ?? null,
      cert: pem(user.certData),
      key: pem(user.keyData),
      token: user.token ?? null,
      basic: user.username && user.password ? { username: user.username, password: user.password } : null,
    };
  }

  private meta(id: string): Meta {
    const m = this.sessions.get(id);
    if (!m) throw sessionNotFound(id);
    return m;
  }

  private live(id: string): Meta {
    const m = this.meta(id);
    if (m.view.state === 'exited') throw sessionEnded(m.view.title);
    return m;
  }

  async write(id: string, data: string): Promise<void> {
    const m = this.live(id);
    // Serial: Enter (a CR from the terminal) becomes the line's newline.
    const out = m.view.newline === 'lf' ? data.replace(/\r/g, '\n') : m.view.newline === 'crlf' ? data.replace(/\r(?!\n)/g, '\r\n') : data;
    await this.d.native.request('terminal.write', { id, data: out });
  }

  async resize(id: string, cols: number, rows: number): Promise<void> {
    const m = this.live(id);
    await this.d.native.request('terminal.resize', { id, cols, rows });
    this.update(m, { cols, rows });
  }

  /**
   * A window has written the output up to `offset`. Passed on to the native
   * process without waiting for its answer: the window's next
   * acknowledgement must not wait for a round trip to the worker (in a flood
   * that held the output to about one flow-control window per round trip).
   * Requests reach the worker in order.
   */
  ack(id: string, offset: number): void {
    const m = this.meta(id);
    if (m.view.state !== 'exited') this.d.native.request('terminal.ack', { id, offset }).catch(() => undefined);
  }

  /**
   * Hands a window's output socket (checked by the headless host) to the
   * native process, which serves it (main/terminal/output-socket.ts).
   */
  outputSocket(request: HandedRequest, socket: Socket): Promise<void> {
    return this.d.native.handOverOutputSocket(request, socket);
  }

  /** Closes the windows' output sockets and streams in the native process (the host is stopping); a window then reads through the API. */
  async closeOutputSockets(): Promise<void> {
    if (this.d.native.running) await this.d.native.request('terminal.output-close', undefined, 5_000);
  }

  setNewline(id: string, newline: 'cr' | 'lf' | 'crlf'): TerminalSession {
    const m = this.meta(id);
    if (m.view.kind !== 'serial')
      throw new AppError(
        TerminalErrors.NOT_SERIAL,
        { en: 'Only a serial session has a newline mode.', zh: '只有串口会话有换行模式。' },
        { field: ['newline'] },
      );
    this.update(m, { newline });
    return m.view;
  }

  /** Ends the session (if it still runs) and forgets it. */
  async close(id: string): Promise<TerminalSession> {
    const m = this.meta(id);
    if (m.view.state !== 'exited') {
      const ended = new Promise<void>((resolve) => {
        const l = (e: TerminalEvent) => {
          if (e.type === 'session' && e.session.state === 'exited') resolve();
        };
        m.listeners.add(l);
        setTimeout(resolve, 5_000).unref();
      });
      await this.d.native.request('terminal.close', { id }).catch(() => undefined);
      await ended;
      if ((m.view.state as TerminalSession['state']) !== 'exited') this.update(m, { state: 'exited', status: { en: 'Closed.', zh: '已关闭。' } });
    }
    this.sessions.delete(id);
    m.gone = true;
    for (const l of m.listeners) l({ type: 'session', session: m.view });
    for (const w of this.watchers) w({ type: 'closed', id });
    // The worker drops its output and ends the windows' own streams.
    this.d.native.request('terminal.forget', { id }).catch(() => undefined);
    return m.view;
  }

  /** Hangs up a session that must not go on, saying why; it stays listed (ended) for its tab to show the reason. */
  private async endWith(m: Meta, status: LocalizedText): Promise<void> {
    m.endedBy = status;
    await this.d.native.request('terminal.close', { id: m.view.id }).catch(() => undefined);
    if (m.view.state !== 'exited') this.update(m, { state: 'exited', status });
  }

  /** Closes the serial sessions on a port ("free the port"); says whether there were any. */
  async closeSerial(path: string): Promise<boolean> {
    const on = [...this.sessions.values()].filter((m) => m.view.kind === 'serial' && m.view.target.startsWith(`${path} `) && m.view.state !== 'exited');
    await Promise.all(on.map((m) => this.close(m.view.id)));
    return on.length > 0;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id).catch(() => undefined)));
  }

  /**
   * The session's events for one window: its state, then its output from
   * `from` on (a gap first if the replay buffer no longer holds it), then
   * live output and state changes, until the signal aborts or the session
   * is closed (the stream then ends). The output is read by the worker for
   * this stream and relayed.
   */
  async *attach(id: string, from: number, signal?: AbortSignal): AsyncGenerator<TerminalEvent> {
    const m = this.meta(id);
    const queue: TerminalEvent[] = [];
    let wake: (() => void) | null = null;
    const listener = (e: TerminalEvent) => {
      queue.push(e);
      wake?.();
    };
    const sub = this.nextRead++;
    m.listeners.add(listener);
    this.reads.set(sub, listener);
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    let reading = false;
    try {
      // The replay comes (queued) before the answer; the state goes first, with where the output stood.
      let offset = m.view.offset;
      try {
        offset = (await this.d.native.request<{ offset: number }>('terminal.read', { id, from, sub })).offset;
        reading = true;
      } catch {
        // The native process no longer has it (it stopped): the session's state is all there is.
      }
      yield { type: 'session', session: { ...m.view, offset: Math.max(offset, m.view.offset) } };
      while (!signal?.aborted) {
        while (queue.length > 0) yield queue.shift()!;
        if (signal?.aborted || m.gone) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      m.listeners.delete(listener);
      this.reads.delete(sub);
      signal?.removeEventListener('abort', onAbort);
      // Nobody reading any more: the worker acknowledges the output itself.
      if (reading) this.d.native.request('terminal.unread', { sub }).catch(() => undefined);
    }
  }

  private onWorker(e: TerminalWorkerEvent): void {
    if (e.type === 'output') {
      this.reads.get(e.sub)?.(e.event);
      return;
    }
    const m = this.sessions.get(e.id);
    if (!m) return;
    if (e.type === 'progress') {
      // Not a change windows are told of: each stream has the output itself.
      if (e.offset > m.view.offset) m.view = { ...m.view, offset: e.offset };
      return;
    }
    this.update(m, {
      state: e.state,
      status: e.state === 'exited' ? (m.endedBy ?? e.status) : e.status,
      exitCode: e.exitCode,
      offset: Math.max(e.offset, m.view.offset),
    });
  }

  /** Changes what windows are shown of the session, and tells the worker (`tell`: unless it has just died). */
  private update(m: Meta, patch: Partial<TerminalSession> & { status?: LocalizedText | null }, tell = true): void {
    m.view = { ...m.view, ...patch };
    for (const l of m.listeners) l({ type: 'session', session: m.view });
    for (const w of this.watchers) w({ type: 'session', session: m.view });
    if (tell) this.d.native.request('terminal.view', { id: m.view.id, view: m.view }).catch(() => undefined);
  }
}
