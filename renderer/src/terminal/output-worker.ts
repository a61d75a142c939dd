/**
 * The Terminal's output streams, read in a Web Worker rather than on the
 * page's thread (bench/README.md, terminal). A browser hands a WebSocket
 * message to the thread that owns the socket in several deliveries, each a
 * task; on the page's thread they queue behind xterm's parsing and drawing,
 * and the page ends up waiting for output it has almost received. Here they
 * come in on the worker's thread, and the page gets each event whole, in
 * one message.
 *
 * The worker has its own API connection: a WebSocket to the headless host
 * (the host's cookie goes with it, as with the page's) or, in Electron, its
 * own MessagePort to the main process. It only reads terminal.attach; every
 * other call stays on the page's client.
 */
import { createORPCClient, toORPCError } from '@orpc/client';
import { RPCLink as PortLink } from '@orpc/client/message-port';
import { RPCLink as WebSocketLink } from '@orpc/client/websocket';
import type { ApiClient } from '../api/client';
import type { OutputReply, OutputRequest } from './output-protocol';

const scope = self as unknown as {
  onmessage: ((m: MessageEvent<OutputRequest>) => void) | null;
  postMessage(reply: OutputReply): void;
};

let client: ApiClient | null = null;
const streams = new Map<number, AbortController>();

async function attach(key: number, id: string, from: number): Promise<void> {
  const controller = new AbortController();
  streams.set(key, controller);
  try {
    if (!client) throw new Error('the output worker has no connection');
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
}

scope.onmessage = (m) => {
  const r = m.data;
  if (r.type === 'connect') {
    if (r.port) {
      client = createORPCClient<ApiClient>(new PortLink({ port: r.port }));
      r.port.start();
    } else client = createORPCClient<ApiClient>(new WebSocketLink({ websocket: new WebSocket(r.url!) }));
  } else if (r.type === 'attach') void attach(r.key, r.id, r.from);
  else streams.get(r.key)?.abort();
};
