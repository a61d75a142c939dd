/**
 * The page's side of the Terminal's output worker (output-worker.ts): one
 * worker reads every session's stream. Where it cannot start (a browser
 * without module workers, a policy that refuses it) or once it has failed,
 * streams are read on the page's thread as before (`null` from
 * attachOutput, or `unavailable` for a stream already under way). A worker
 * that started but gives a stream no first event in time is given up too.
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

/** undefined: not started yet; null: cannot be used. */
let worker: Worker | null | undefined;
let nextKey = 1;
const streams = new Map<number, OutputHandlers>();
/** Streams still waiting for their first event, with their deadline. */
const waiting = new Map<number, ReturnType<typeof setTimeout>>();

function send(w: Worker, request: OutputRequest, transfer: Transferable[] = []): void {
  w.postMessage(request, transfer);
}

function fail(w: Worker): void {
  worker = null;
  w.terminate();
  for (const timer of waiting.values()) clearTimeout(timer);
  waiting.clear();
  const open = [...streams.values()];
  streams.clear();
  for (const h of open) h.unavailable();
}

function start(): Worker | null {
  if (worker !== undefined) return worker;
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
    if (r.type === 'lost') return fail(w);
    if (r.type === 'frame') {
      const f = readOutputFrame(r.frame);
      if (f) streams.get(f.key)?.frame(f);
      return;
    }
    const h = streams.get(r.key);
    if (!h) return;
    clearTimeout(waiting.get(r.key));
    waiting.delete(r.key);
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
