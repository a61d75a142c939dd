/**
 * Entry of the native I/O process. Native modules (node-pty, serialport,
 * ssh2 with heavy streams) are loaded only here, so that a native crash or a
 * flood of output cannot take down the window or the API server.
 *
 * It runs as an Electron utility process (process.parentPort, with the
 * request port transferred by the parent) or as a Node child process
 * (process.send). It holds the terminal sessions (main/terminal).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { AppError } from '../api/errors';
import type { TerminalSession } from '../api/contract';
import { OutputSockets, TERMINAL_EVENT, WorkerSessions, type HandedRequest, type TerminalWorkerEvent, type WorkerOpen } from '../terminal/worker';
import { NATIVE_MODULES, OUTPUT_SOCKET, OUTPUT_SOCKET_RELEASED, type NativeEvent, type NativeReady, type NativeRequest, type NativeResponse } from './protocol';

const require = createRequire(import.meta.url);
const startedAt = Date.now();

interface ModuleStatus {
  name: string;
  ok: boolean;
  version: string | null;
  error: string | null;
}

function probe(name: string): ModuleStatus {
  try {
    const mod = require(name) as Record<string, unknown>;
    // Touch a native entry point so that a missing or mismatched binary shows here.
    if (name === 'node-pty' && typeof mod.spawn !== 'function') throw new Error('spawn() missing');
    if (name === 'serialport') require('@serialport/bindings-cpp');
    let version: string | null = null;
    try {
      version = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      version = null;
    }
    return { name, ok: true, version, error: null };
  } catch (e) {
    return { name, ok: false, version: null, error: (e as Error).message.split('\n')[0] ?? 'load failed' };
  }
}

/** Where unasked messages go: set once the parent's channel is known. */
let post: (message: NativeEvent) => void = () => undefined;
const terminals = new WorkerSessions((e: TerminalWorkerEvent) => post({ event: TERMINAL_EVENT, data: e }));
const outputSockets = new OutputSockets(terminals);
/** Output sockets received, waiting for the host to release its copy. */
const handed = new Map<number, { request: HandedRequest; socket: Socket }>();
/** Closes the windows' output sockets and streams, served or still waiting for their release. */
function closeOutput(): void {
  for (const h of handed.values()) h.socket.destroy();
  handed.clear();
  outputSockets.closeAll();
}

const methods: Record<string, (params: unknown) => unknown> = {
  health: () => ({
    pid: process.pid,
    uptimeMs: Date.now() - startedAt,
    modules: NATIVE_MODULES.map(probe),
  }),
  'terminal.open': (p) => terminals.open(p as WorkerOpen),
  'terminal.write': (p) => terminals.write((p as { id: string }).id, (p as { data: string }).data),
  'terminal.resize': (p) => {
    const r = p as { id: string; cols: number; rows: number };
    terminals.resize(r.id, r.cols, r.rows);
  },
  'terminal.ack': (p) => terminals.ack((p as { id: string }).id, (p as { offset: number }).offset),
  'terminal.close': (p) => terminals.close((p as { id: string }).id),
  'terminal.read': (p) => {
    const r = p as { id: string; from: number; sub: number };
    return terminals.read(r.id, r.from, r.sub);
  },
  'terminal.unread': (p) => terminals.unread((p as { sub: number }).sub),
  'terminal.view': (p) => terminals.view((p as { id: string }).id, (p as { view: TerminalSession }).view),
  'terminal.forget': (p) => terminals.forget((p as { id: string }).id),
  'terminal.output-close': () => closeOutput(),
};

async function handle(req: NativeRequest): Promise<NativeResponse> {
  const fn = methods[req.method];
  if (!fn) return { id: req.id, ok: false, error: `unknown method ${req.method}` };
  try {
    return { id: req.id, ok: true, result: (await fn(req.params)) ?? null };
  } catch (e) {
    if (e instanceof AppError) return { id: req.id, ok: false, error: e.message, appError: e.toData() };
    return { id: req.id, ok: false, error: (e as Error).message };
  }
}

interface PortLike {
  on(event: 'message', listener: (e: { data: NativeRequest; ports?: PortLike[] }) => void): void;
  postMessage(message: unknown): void;
  start?(): void;
}

const parentPort = (process as unknown as { parentPort?: PortLike }).parentPort;
const ready: NativeReady = { ready: true, pid: process.pid };

if (parentPort) {
  // Electron utility process: the parent transfers a MessagePortMain for requests.
  parentPort.on('message', (e) => {
    const port = e.ports?.[0];
    if (!port) return;
    post = (m) => port.postMessage(m);
    port.on('message', (m) => void handle(m.data).then((res) => port.postMessage(res)));
    port.start?.();
    port.postMessage(ready);
  });
} else if (process.send) {
  // A write after the service has gone fails with EPIPE: the callback takes it (instead of
  // an uncaught 'error'), and 'disconnect' below does the cleaning up.
  const ignoreFailedWrite = (): void => undefined;
  post = (m) => process.send?.(m, undefined, undefined, ignoreFailedWrite);
  process.on('message', (m: NativeRequest, socket?: Socket) => {
    // A window's output socket or output stream, handed over by the headless host with the request it checked: served
    // once the host has released its copy (OUTPUT_SOCKET_RELEASED), so that nothing the window sends is read there.
    if (m.method === OUTPUT_SOCKET && socket) return void handed.set(m.id, { request: m.params as HandedRequest, socket });
    if (m.method === OUTPUT_SOCKET_RELEASED) {
      const h = handed.get(m.id);
      handed.delete(m.id);
      if (h) outputSockets.take(h.request, h.socket);
      return;
    }
    void handle(m).then((res) => process.send?.(res, undefined, undefined, ignoreFailedWrite));
  });
  // The service is gone: hang up every session (a shell gets SIGHUP, a port is freed) before leaving.
  process.on('disconnect', () => {
    closeOutput();
    void terminals.closeAll().finally(() => process.exit(0));
  });
  process.send(ready);
} else {
  console.error('The native I/O worker must be started by EdgeForge, not directly.');
  process.exit(2);
}
