/**
 * The terminal sessions of the native I/O process: each a transport behind
 * the one interface, its output gathered and flow-controlled
 * (SessionOutput) and kept (OutputLog) for its readers: a window's own
 * output socket (watch), or the service relaying the API's attach stream
 * (read, as TERMINAL_EVENT messages). States go to the service, which
 * sends back what a window is shown of the session (view).
 */
import type { TerminalSession } from '../api/contract';
import type { LocalizedText } from '../api/errors';
import { sessionNotFound } from './errors';
import { SessionOutput } from './flow';
import { openLocal } from './local';
import { OutputLog } from './output-log';
import { openPod } from './pod';
import type { TerminalOutputEvent, TerminalWorkerEvent, WorkerOpen, WorkerOpened } from './protocol';
import { openSerial } from './serial';
import { openSsh } from './ssh';
import type { TerminalSink, TerminalTransport } from './transport';

interface Live {
  transport: TerminalTransport | null;
  output: SessionOutput;
  ended: boolean;
}

/** A window reading a session on its own socket: the session as shown, its output, the end when the session is forgotten. */
export interface SessionWatcher {
  session(view: TerminalSession): void;
  output(event: TerminalOutputEvent): void;
  end(): void;
}

/** What is kept of a session until the service forgets it (after it ended, for a window to see its last output). */
interface Kept {
  log: OutputLog;
  /** The session as the service shows it; null until the service has said. */
  view: TerminalSession | null;
  watchers: Set<SessionWatcher>;
  progress: NodeJS.Timeout | null;
}

/** How often the service hears how far a flowing session's output has come. */
const PROGRESS_MS = 250;

export class WorkerSessions {
  private readonly live = new Map<string, Live>();
  private readonly kept = new Map<string, Kept>();
  /** The service's readers (terminal.read), by its number. */
  private readonly reads = new Map<number, () => void>();

  constructor(private readonly emit: (event: TerminalWorkerEvent) => void) {}

  async open(spec: WorkerOpen): Promise<WorkerOpened & { title: string; target: string }> {
    const id = spec.id;
    const kept: Kept = { log: new OutputLog((chars) => session.output.ack(chars)), view: null, watchers: new Set(), progress: null };
    const session: Live = {
      transport: null,
      ended: false,
      output: new SessionOutput(
        (data) => {
          kept.log.append(data);
          kept.progress ??= setTimeout(() => {
            kept.progress = null;
            this.emit({ type: 'progress', id, offset: kept.log.offset });
          }, PROGRESS_MS);
        },
        {
          pause: () => session.transport?.pause(),
          resume: () => session.transport?.resume(),
        },
      ),
    };
    const state = (s: 'open' | 'reconnecting' | 'exited', status: LocalizedText | null, exitCode: number | null) => {
      session.output.flush();
      this.emit({ type: 'state', id, state: s, status, exitCode, offset: kept.log.offset });
    };
    const sink: TerminalSink = {
      data: (text) => session.output.push(text),
      opened: () => state('open', null, null),
      reconnecting: (status) => state('reconnecting', status, null),
      ended: (status, exitCode) => {
        if (session.ended) return;
        session.ended = true;
        state('exited', status, exitCode);
        this.live.delete(id);
      },
    };
    this.live.set(id, session);
    this.kept.set(id, kept);
    try {
      if (spec.kind === 'local') {
        session.transport = openLocal(spec, sink);
        return { hostKey: null, record: null, title: session.transport.title, target: session.transport.target };
      }
      if (spec.kind === 'serial') {
        session.transport = await openSerial(spec, sink);
        return { hostKey: null, record: null, title: session.transport.title, target: session.transport.target };
      }
      if (spec.kind === 'pod') {
        session.transport = await openPod(spec, sink);
        return { hostKey: null, record: null, title: session.transport.title, target: session.transport.target };
      }
      const { transport, opened } = await openSsh(spec, sink);
      session.transport = transport;
      return { ...opened, title: transport.title, target: transport.target };
    } catch (e) {
      this.live.delete(id);
      this.forget(id);
      throw e;
    }
  }

  private get(id: string): Live & { transport: TerminalTransport } {
    const s = this.live.get(id);
    if (!s?.transport) throw sessionNotFound(id);
    return s as Live & { transport: TerminalTransport };
  }

  write(id: string, data: string): void {
    this.get(id).transport.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).transport.resize(cols, rows);
  }

  /** A window has written session `id`'s output up to `offset`. */
  ack(id: string, offset: number): void {
    this.kept.get(id)?.log.ack(offset);
  }

  /** The service's reader `sub` of session `id` from `from`: its output goes to the service as `output` events. Returns where the output stood. */
  read(id: string, from: number, sub: number): { offset: number } {
    const k = this.kept.get(id);
    if (!k) throw sessionNotFound(id);
    const offset = k.log.offset;
    this.reads.set(
      sub,
      k.log.read(from, (event) => this.emit({ type: 'output', sub, event })),
    );
    return { offset };
  }

  unread(sub: number): void {
    this.reads.get(sub)?.();
    this.reads.delete(sub);
  }

  /** The session as the service shows it now: the watching windows get it. */
  view(id: string, view: TerminalSession): void {
    const k = this.kept.get(id);
    if (!k) return;
    k.view = view;
    for (const w of k.watchers) w.session({ ...view, offset: k.log.offset });
  }

  /** A window's own reading of session `id` from `from` (its output socket): the session first, then its output. Returns the stop. */
  watch(id: string, from: number, watcher: SessionWatcher): () => void {
    const k = this.kept.get(id);
    if (!k?.view) throw sessionNotFound(id);
    watcher.session({ ...k.view, offset: k.log.offset });
    const stop = k.log.read(from, (event) => watcher.output(event));
    k.watchers.add(watcher);
    return () => {
      k.watchers.delete(watcher);
      stop();
    };
  }

  /** The service has closed and forgotten the session: its windows' streams end, its output goes. */
  forget(id: string): void {
    const k = this.kept.get(id);
    if (!k) return;
    this.kept.delete(id);
    if (k.progress) clearTimeout(k.progress);
    for (const w of [...k.watchers]) w.end();
    k.watchers.clear();
  }

  async close(id: string): Promise<void> {
    const s = this.live.get(id);
    if (!s?.transport) return;
    await s.transport.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.close(id).catch(() => undefined)));
  }
}
