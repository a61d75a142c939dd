/**
 * A window's output connection, served by the native I/O process: the
 * headless host checks each request (its token, Origin and Host, as for
 * /api) and hands its socket over with the request it read; everything
 * after that happens here, where the output is made. This takes the
 * station's hop off the way of a flood of output (bench/README.md,
 * terminal, fifth and seventh profiles).
 *
 * A window has two: its output socket (a WebSocket, /terminal-output),
 * which takes its requests (TerminalOutputRequest) and tells it its
 * stream's name, and its output stream (GET /terminal-output/stream?id=),
 * a streamed HTTP response that carries every event of the window's
 * reads in order (TerminalOutputFrame). Output travels on a plain HTTP
 * response because browsers carry one in far fewer, larger steps than a
 * WebSocket's messages (bench/README.md, terminal, eighth profile). A
 * browser keeps only six connections to a host for requests like it, so a
 * window that finds three windows streaming already asks for its events on
 * its socket instead (`socket`), in the same frames.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { TERMINAL_OUTPUT_STREAM_PATH, TerminalOutputRequestSchema, type TerminalOutputHello, type TerminalOutputMessage } from '../api/contract';
import { AppError, internalErrorData } from '../api/errors';
import { rawRefusal, REASONS } from '../host/refusal';
import type { WorkerSessions } from './sessions';

/** A request as the station read it, sent along with its socket. */
export interface HandedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** What the station read past the request's head (usually nothing). */
  head: Uint8Array;
}

/** A frame's body starts with its kind (TerminalOutputFrame in the API contract gives the layout). */
const OUTPUT = 0;
const MESSAGE = 1;
/** The length, then the kind; an output frame's header after them (key, characters, offset, encoding). */
const PREFIX = 5;
const OUTPUT_HEADER = 17;

/** A `data` event as a frame of the output stream: the length, the kind, the header, then the bytes the screen is given. */
export function outputFrame(key: number, offset: number, data: string, encoding: 'utf8' | 'bytes'): Buffer {
  const enc = encoding === 'bytes' ? 'latin1' : 'utf8';
  const bytes = Buffer.byteLength(data, enc);
  const frame = Buffer.allocUnsafe(PREFIX + OUTPUT_HEADER + bytes);
  frame.writeUInt32LE(1 + OUTPUT_HEADER + bytes, 0);
  frame.writeUInt8(OUTPUT, 4);
  frame.writeUInt32LE(key, PREFIX);
  frame.writeUInt32LE(data.length, PREFIX + 4);
  frame.writeDoubleLE(offset, PREFIX + 8);
  frame.writeUInt8(encoding === 'bytes' ? 1 : 0, PREFIX + 16);
  frame.write(data, PREFIX + OUTPUT_HEADER, enc);
  return frame;
}

/** Any other message of a stream, as a frame: the length, the kind, the message's JSON. */
export function messageFrame(m: TerminalOutputMessage): Buffer {
  const json = JSON.stringify(m);
  const bytes = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(PREFIX + bytes);
  frame.writeUInt32LE(1 + bytes, 0);
  frame.writeUInt8(MESSAGE, 4);
  frame.write(json, PREFIX);
  return frame;
}

/** Why a socket is closed: 1008, a request that is not one. */
const POLICY = 1008;

/**
 * Where a window's events go: its output stream once the window has opened
 * it, or its output socket if the window has asked for that instead
 * (`socket`); until either, they wait (`early`), up to EARLY_BYTES.
 */
interface Stream {
  /** The window's output socket, which named the stream. */
  ws: WebSocket;
  socket: Duplex | null;
  onSocket: boolean;
  early: Buffer[];
  earlyBytes: number;
}

/** What may wait for a window's stream to open (a window opens it before it reads anything): more means it is not opening it. */
const EARLY_BYTES = 32 * 1024 * 1024;

export class OutputSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly open = new Set<WebSocket>();
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly sessions: WorkerSessions) {}

  /** Serves a request whose socket the station has handed over: an output socket's upgrade, or an output stream. */
  take(request: HandedRequest, socket: Duplex): void {
    const url = new URL(request.url, 'http://handed');
    if (url.pathname === TERMINAL_OUTPUT_STREAM_PATH) return this.stream(url.searchParams.get('id') ?? '', socket);
    const req = { method: request.method, url: request.url, headers: request.headers, socket } as unknown as IncomingMessage;
    this.wss.handleUpgrade(req, socket, Buffer.from(request.head), (ws) => this.serve(ws));
  }

  /** The window asks for its stream (GET, with the id its socket gave it): a response whose body is the frames. */
  private stream(id: string, socket: Duplex): void {
    const s = this.streams.get(id);
    socket.on('error', () => undefined);
    if (!s || s.socket || s.onSocket) return void socket.end(rawRefusal(404, REASONS.noStream));
    // Closed by the window while it was being handed over: the window reads elsewhere.
    if (socket.destroyed) {
      this.streams.delete(id);
      return void s.ws.close();
    }
    s.socket = socket;
    // No length: the body is the frames until either side closes (RFC 9112 §6.3).
    socket.write(
      'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n',
    );
    for (const frame of s.early.splice(0)) socket.write(frame);
    s.earlyBytes = 0;
    // The stream is gone (the window went): so is its socket, and with it the window's reads.
    socket.on('close', () => {
      if (this.streams.get(id) === s) this.streams.delete(id);
      s.ws.close();
    });
  }

  private serve(ws: WebSocket): void {
    this.open.add(ws);
    const id = randomBytes(16).toString('hex');
    const stream: Stream = { ws, socket: null, onSocket: false, early: [], earlyBytes: 0 };
    this.streams.set(id, stream);
    const write = (frame: Buffer) => {
      if (stream.onSocket) {
        if (ws.readyState === ws.OPEN) ws.send(frame);
      } else if (stream.socket) {
        if (!stream.socket.destroyed) stream.socket.write(frame);
      } else if ((stream.earlyBytes += frame.length) <= EARLY_BYTES) stream.early.push(frame);
      else ws.close(POLICY, 'the output stream was not opened');
    };
    const send = (m: TerminalOutputMessage) => write(messageFrame(m));
    /** The window's reads of sessions, by their key. */
    const reads = new Map<number, () => void>();
    ws.send(JSON.stringify({ stream: `${TERMINAL_OUTPUT_STREAM_PATH}?id=${id}` } satisfies TerminalOutputHello));
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
      if (r.type === 'socket') {
        if (stream.socket) return ws.close(POLICY, 'the output stream is open');
        stream.onSocket = true;
        this.streams.delete(id);
        for (const frame of stream.early.splice(0)) ws.send(frame);
        stream.earlyBytes = 0;
        return;
      }
      if (r.type === 'detach') {
        reads.get(r.key)?.();
        reads.delete(r.key);
        return;
      }
      if (reads.has(r.key)) return ws.close(POLICY, `stream ${r.key} is already open`);
      const key = r.key;
      try {
        let encoding: 'utf8' | 'bytes' = 'utf8';
        const stop = this.sessions.watch(r.id, r.from, {
          session: (session) => {
            encoding = session.encoding;
            send({ key, event: { type: 'session', session } });
          },
          output: (event) => (event.type === 'data' ? write(outputFrame(key, event.offset, event.data, encoding)) : send({ key, event })),
          end: () => {
            reads.delete(key);
            send({ key, end: true });
          },
        });
        reads.set(key, stop);
      } catch (e) {
        if (!(e instanceof AppError)) console.error('[edgeforge] terminal output socket:', e);
        send({ key, error: e instanceof AppError ? e.toData() : internalErrorData() });
      }
    });
    ws.on('close', () => {
      this.open.delete(ws);
      for (const stop of reads.values()) stop();
      reads.clear();
      this.streams.delete(id);
      stream.early = [];
      stream.socket?.end();
    });
    ws.on('error', () => undefined);
  }

  closeAll(): void {
    for (const ws of this.open) ws.terminate();
    for (const s of this.streams.values()) s.socket?.destroy();
  }
}
