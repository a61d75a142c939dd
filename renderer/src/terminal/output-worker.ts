/**
 * The Terminal's output streams, read in a Web Worker rather than on the
 * page's thread (bench/README.md, terminal). A browser hands a WebSocket
 * message to the thread that owns the socket in several deliveries, each a
 * task; on the page's thread they queue behind xterm's parsing and drawing,
 * and the page ends up waiting for output it has almost received. Here they
 * come in on the worker's thread, and the page gets each event whole, in
 * one message.
 *
 * The worker has its own connection. In a browser it is the headless host's
 * output socket and output stream, served by the native I/O process where
 * the output is made (TerminalOutputRequest, TerminalOutputFrame in the API
 * contract). In Electron it is its own API port to the main process, read
 * with terminal.attach. Keystrokes, acknowledgements and every other call
 * stay on the page's client.
 */
import { createORPCClient, ORPCError, toORPCError } from '@orpc/client';
import { RPCLink as PortLink } from '@orpc/client/message-port';
import type { TerminalOutputHello, TerminalOutputMessage, TerminalOutputRequest } from '../../../main/api/contract';
import type { ApiClient } from '../api/client';
import { FrameSplitter, frameKind, MESSAGE, OUTPUT } from './output-frame';
import type { OutputReply, OutputRequest } from './output-protocol';

const scope = self as unknown as {
  onmessage: ((m: MessageEvent<OutputRequest>) => void) | null;
  postMessage(reply: OutputReply, transfer?: Transferable[]): void;
};

/** How the worker reads a stream: through an API client, or on the output socket. */
interface Reader {
  attach(key: number, id: string, from: number): void;
  detach(key: number): void;
}

/** Electron: terminal.attach on the worker's own API port. */
function apiReader(client: ApiClient): Reader {
  const streams = new Map<number, AbortController>();
  return {
    attach: (key, id, from) => {
      const controller = new AbortController();
      streams.set(key, controller);
      void (async () => {
        try {
          const stream = await client.terminal.attach({ id, from }, { signal: controller.signal });
          for await (const event of stream) {
            if (controller.signal.aborted) break;
            scope.postMessage({ type: 'event', key, event });
          }
          if (!controller.signal.aborted) scope.postMessage({ type: 'end', key });
        } catch (e) {
          // As oRPC's JSON form, which the page turns back into the API's error (apiErrorData reads its code and data).
          if (!controller.signal.aborted) scope.postMessage({ type: 'error', key, error: toORPCError(e).toJSON() });
        } finally {
          streams.delete(key);
        }
      })();
    },
    detach: (key) => streams.get(key)?.abort(),
  };
}

/**
 * How many windows on one host may hold an output stream at once. A browser
 * keeps six connections to a host for requests like it (a WebSocket is not
 * one of them), shared by all its windows on the host; the rest stay free
 * for the app's own requests: pages, uploads.
 */
const STREAM_SLOTS = 3;

/**
 * Takes one of the host's stream slots (a Web Lock, shared by the windows
 * of the host's origin) and holds it until the worker ends, with its window;
 * false when all are taken, or where the browser has no Web Locks (outside
 * a secure context: another machine's plain http).
 */
async function streamSlot(): Promise<boolean> {
  const locks = (self.navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return false;
  for (let i = 0; i < STREAM_SLOTS; i++) {
    const got = await new Promise<boolean>((resolve) => {
      locks
        .request(`edgeforge-terminal-output-stream-${i}`, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          // A granted lock is held while this stays pending: for the worker's life.
          return lock ? new Promise<void>(() => undefined) : undefined;
        })
        .catch(() => resolve(false));
    });
    if (got) return true;
  }
  return false;
}

/**
 * A browser: the headless host's output socket and output stream, served by
 * the native I/O process. Requests go on the socket once the window's
 * events have a way to come: on the stream, or, where the window holds no
 * stream slot, on the socket itself, in the same frames.
 */
function socketReader(url: string): Reader {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const early: string[] = [];
  let ready = false;
  let hello = false;
  let lost = false;
  const lose = () => {
    if (lost) return;
    lost = true;
    socket.close();
    scope.postMessage({ type: 'lost' });
  };
  const send = (r: TerminalOutputRequest) => {
    const text = JSON.stringify(r);
    if (ready && socket.readyState === WebSocket.OPEN) socket.send(text);
    else if (!lost) early.push(text);
  };
  const start = () => {
    ready = true;
    for (const text of early.splice(0)) socket.send(text);
  };
  const message = (m: TerminalOutputMessage) => {
    if ('event' in m) scope.postMessage({ type: 'event', key: m.key, event: m.event });
    else if ('end' in m) scope.postMessage({ type: 'end', key: m.key });
    // In the form the page's API client gives its errors: the code, the English message, the API's data.
    else scope.postMessage({ type: 'error', key: m.key, error: new ORPCError(m.error.code, { message: m.error.message.en, data: m.error }).toJSON() });
  };
  const splitter = new FrameSplitter();
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const frames = (piece: Uint8Array) => {
    for (const frame of splitter.push(piece)) {
      // Output goes to the page whole and transferred: it is not parsed here.
      if (frameKind(frame) === OUTPUT) scope.postMessage({ type: 'frame', frame }, [frame]);
      else if (frameKind(frame) === MESSAGE) message(JSON.parse(decoder.decode(new Uint8Array(frame, 1))) as TerminalOutputMessage);
    }
  };
  const read = async (path: string) => {
    const response = await fetch(new URL(path, url.replace(/^ws/, 'http')), { cache: 'no-store' });
    // Anything but the stream (an error, the app's page from a host without one) is not read as frames.
    if (!response.ok || !response.body || response.headers.get('content-type') !== 'application/octet-stream')
      throw new Error(`output stream: HTTP ${response.status} ${response.headers.get('content-type')}`);
    start();
    const body = response.body.getReader();
    for (;;) {
      const { value, done } = await body.read();
      if (done) break;
      frames(value);
    }
  };
  socket.onmessage = (m: MessageEvent<string | ArrayBuffer>) => {
    // The window's events, where it holds no stream.
    if (typeof m.data !== 'string') return frames(new Uint8Array(m.data));
    // The socket's first message names the stream.
    if (hello) return;
    hello = true;
    const { stream } = JSON.parse(m.data) as TerminalOutputHello;
    void streamSlot().then((slot) => {
      if (lost) return;
      if (slot) return read(stream).then(lose, lose);
      socket.send(JSON.stringify({ type: 'socket' } satisfies TerminalOutputRequest));
      start();
    });
  };
  // Refused (the native process cannot take it), or gone: the page reads every stream on from where it was.
  socket.onclose = lose;
  return {
    attach: (key, id, from) => send({ type: 'attach', key, id, from }),
    detach: (key) => send({ type: 'detach', key }),
  };
}

let reader: Reader | null = null;

scope.onmessage = (m) => {
  const r = m.data;
  if (r.type === 'connect') {
    if (r.port) {
      reader = apiReader(createORPCClient<ApiClient>(new PortLink({ port: r.port })));
      r.port.start();
    } else reader = socketReader(r.url!);
  } else if (!reader) scope.postMessage({ type: 'lost' });
  else if (r.type === 'attach') reader.attach(r.key, r.id, r.from);
  else reader.detach(r.key);
};
