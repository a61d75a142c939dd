/**
 * A window's output socket, served by the native I/O process: the headless
 * host checks the upgrade (its token, Origin and Host, as for /api) and
 * hands the socket over with the request it read; the WebSocket handshake
 * and every frame after it happen here, where the output is made. This
 * takes the station's hop off the way of a flood of output (bench/README.md,
 * terminal, fifth profile). The socket speaks TerminalOutputRequest and
 * TerminalOutputMessage (main/api/contract.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { TerminalOutputRequestSchema, type TerminalOutputMessage } from '../api/contract';
import { AppError, internalErrorData } from '../api/errors';
import type { WorkerSessions } from './sessions';

/** The upgrade request as the station read it, sent along with its socket. */
export interface HandedUpgrade {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** What the station read past the request's head (usually nothing). */
  head: Uint8Array;
}

/** Why a socket is closed: 1008, a request that is not one. */
const POLICY = 1008;

export class OutputSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly open = new Set<WebSocket>();

  constructor(private readonly sessions: WorkerSessions) {}

  /** Completes the WebSocket handshake on a socket the station has handed over, and serves it. */
  take(upgrade: HandedUpgrade, socket: Duplex): void {
    const req = { method: upgrade.method, url: upgrade.url, headers: upgrade.headers, socket } as unknown as IncomingMessage;
    this.wss.handleUpgrade(req, socket, Buffer.from(upgrade.head), (ws) => this.serve(ws));
  }

  private serve(ws: WebSocket): void {
    this.open.add(ws);
    const streams = new Map<number, () => void>();
    const send = (m: TerminalOutputMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    ws.on('message', (raw: RawData, binary: boolean) => {
      let json: unknown;
      try {
        json = binary ? undefined : JSON.parse(raw.toString());
      } catch {
        json = undefined;
      }
      const parsed = TerminalOutputRequestSchema.safeParse(json);
      if (!parsed.success) return ws.close(POLICY, 'not a terminal output request');
      const r = parsed.data;
      if (r.type === 'detach') {
        streams.get(r.key)?.();
        streams.delete(r.key);
        return;
      }
      if (streams.has(r.key)) return ws.close(POLICY, `stream ${r.key} is already open`);
      const key = r.key;
      try {
        const stop = this.sessions.watch(r.id, r.from, {
          session: (session) => send({ key, event: { type: 'session', session } }),
          output: (event) => send({ key, event }),
          end: () => {
            streams.delete(key);
            send({ key, end: true });
          },
        });
        streams.set(key, stop);
      } catch (e) {
        if (!(e instanceof AppError)) console.error('[edgeforge] terminal output socket:', e);
        send({ key, error: e instanceof AppError ? e.toData() : internalErrorData() });
      }
    });
    ws.on('close', () => {
      this.open.delete(ws);
      for (const stop of streams.values()) stop();
      streams.clear();
    });
    ws.on('error', () => undefined);
  }

  closeAll(): void {
    for (const ws of this.open) ws.terminate();
  }
}
