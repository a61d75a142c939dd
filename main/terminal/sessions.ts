/**
 * The terminal sessions of the native I/O process: each a transport behind
 * the one interface, its output gathered and flow-controlled
 * (SessionOutput), reported to the service as TERMINAL_EVENT messages.
 */
import type { LocalizedText } from '../api/errors';
import { sessionNotFound } from './errors';
import { SessionOutput } from './flow';
import { openLocal } from './local';
import { openPod } from './pod';
import type { TerminalWorkerEvent, WorkerOpen, WorkerOpened } from './protocol';
import { openSerial } from './serial';
import { openSsh } from './ssh';
import type { TerminalSink, TerminalTransport } from './transport';

interface Live {
  transport: TerminalTransport | null;
  output: SessionOutput;
  ended: boolean;
}

export class WorkerSessions {
  private readonly live = new Map<string, Live>();

  constructor(private readonly emit: (event: TerminalWorkerEvent) => void) {}

  async open(spec: WorkerOpen): Promise<WorkerOpened & { title: string; target: string }> {
    const id = spec.id;
    const session: Live = {
      transport: null,
      ended: false,
      output: new SessionOutput((data) => this.emit({ type: 'data', id, data }), {
        pause: () => session.transport?.pause(),
        resume: () => session.transport?.resume(),
      }),
    };
    const state = (s: 'open' | 'reconnecting' | 'exited', status: LocalizedText | null, exitCode: number | null) => {
      session.output.flush();
      this.emit({ type: 'state', id, state: s, status, exitCode });
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

  ack(id: string, chars: number): void {
    this.live.get(id)?.output.ack(chars);
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
