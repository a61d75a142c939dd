/**
 * The page's side of the Terminal's output worker (output-worker.ts): one
 * worker reads every session's stream. Where it cannot start (a browser
 * without module workers, a policy that refuses it) or once it has failed,
 * streams are read on the page's thread as before (`null` from
 * attachOutput, or `unavailable` for a stream already under way). A worker
 * that started but gives a stream no first event in time is given up too.
 *
 * A worker whose connection was lost (the native I/O process crashed and
 * was restarted, the host stopped) is not a broken worker: the streams it
 * had are read on from the page, and the next stream opened a moment later
 * (RETRY_MS, longer after each loss in a row) gets a new worker.
 */
import { createORPCErrorFromJson } from '@orpc/client';
import type { TerminalEvent, TerminalOutputFrame } from '../../../main/api/contract';
import { outputConnection } from '../api/client';
import { readOutputFrame } from './output-frame';
import type { OutputReply, OutputRequest } from './output-protocol';

export interface OutputHandlers {
  event(e: TerminalEvent): void;
  /** Output, as an output frame (TerminalOutputFrame). */
  frame(f: TerminalOutputFrame): void;
  /** The stream failed (the session was closed elsewhere, the station restarted). */
  error(e: unknown): void;
  /** The worker stopped: read on from where the stream was, on the page. */
  unavailable(): void;
}

/**
 * How long a stream's first event (the session's state, which the station
 * sends at once) may take through the worker before the worker is given up
 * for the page: a worker that started but whose connection never answers
 * would otherwise leave the screen blank.
 */
const FIRST_EVENT_MS = 10_000;

/**
 * After a lost connection, how long the page reads new streams itself before it starts a worker again: the first
 * time, then doubled after each loss in a row (a host that keeps refusing), up to RETRY_MAX_MS. A stream that gets
 * its first event through a worker starts the count again.
 */
const RETRY_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/** undefined: not started yet, or to be started again once retryAt has passed; null: cannot be used. */
let worker: Worker | null | undefined;
let retryAt = 0;
let retryMs = RETRY_MS;
let nextKey = 1;
const streams = new Map<number, OutputHandlers>();
/** Streams still waiting for their first event, with their deadline. */
const waiting = new Map<number, ReturnType<typeof setTimeout>>();

function send(w: Worker, request: OutputRequest, transfer: Transferable[] = []): void {
  w.postMessage(request, transfer);
}

/** The worker is given up: for good when it is broken, or until retryAt when only its connection was lost. */
function fail(w: Worker, lost = false): void {
  if (worker !== w) return;
  worker = lost ? undefined : null;
  if (lost) {
    retryAt = Date.now() + retryMs;
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }
  w.terminate();
  for (const timer of waiting.values()) clearTimeout(timer);
  waiting.clear();
  const open = [...streams.values()];
  streams.clear();
  for (const h of open) h.unavailable();
}

function start(): Worker | null {
  if (worker !== undefined) return worker;
  if (Date.now() < retryAt) return null;
  worker = null;
  let w: Worker;
  try {
    w = new Worker(new URL('./output-worker.ts', import.meta.url), { type: 'module', name: 'terminal-output' });
  } catch {
    return null;
  }
  w.onmessage = (m: MessageEvent<OutputReply>) => {
    const r = m.data;
    // The worker's connection is gone: every stream is read on from where it was, on the page.
    if (r.type === 'lost') return fail(w, true);
    if (r.type === 'frame') {
      const f = readOutputFrame(r.frame);
      if (f) streams.get(f.key)?.frame(f);
      return;
    }
    const h = streams.get(r.key);
    if (!h) return;
    clearTimeout(waiting.get(r.key));
    if (waiting.delete(r.key)) retryMs = RETRY_MS;
    if (r.type === 'event') h.event(r.event);
    else {
      streams.delete(r.key);
      if (r.type === 'error') h.error(createORPCErrorFromJson(r.error));
    }
  };
  w.onerror = () => fail(w);
  w.onmessageerror = () => fail(w);
  try {
    const connection = outputConnection();
    send(w, { type: 'connect', ...connection }, connection.port ? [connection.port] : []);
  } catch {
    // No second connection: the worker is not left running, and the page reads.
    w.terminate();
    return null;
  }
  worker = w;
  return w;
}

/** Session `id`'s events from `from`, read in the worker; returns the detach, or null when the worker cannot be used. */
export function attachOutput(id: string, from: number, handlers: OutputHandlers): (() => void) | null {
  const w = start();
  if (!w) return null;
  const key = nextKey++;
  streams.set(key, handlers);
  waiting.set(
    key,
    setTimeout(() => fail(w), FIRST_EVENT_MS),
  );
  send(w, { type: 'attach', key, id, from });
  return () => {
    clearTimeout(waiting.get(key));
    waiting.delete(key);
    if (streams.delete(key)) send(w, { type: 'detach', key });
  };
}
