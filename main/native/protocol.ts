/**
 * Messages between a service process and the native I/O process (Electron's
 * utility process, or a child process in the headless host). Requests get
 * one response each; the worker also sends events unasked (terminal output,
 * a session's end), which the service side dispatches by name.
 */
import type { ApiErrorData } from '../api/errors';

export interface NativeRequest {
  id: number;
  method: string;
  params?: unknown;
}

/** A refusal keeps its AppError (code and both languages) across the process boundary. */
export type NativeResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; appError?: ApiErrorData };

/** The one message shape a worker sends unasked at start: it is up. */
export interface NativeReady {
  ready: true;
  pid: number;
}

/** Something the worker reports on its own: `event` names the listener. */
export interface NativeEvent {
  event: string;
  data: unknown;
}

export type NativeMessage = NativeResponse | NativeReady | NativeEvent;

export const NATIVE_MODULES = ['node-pty', 'serialport', 'ssh2'] as const;

/** The message a headless host sends with a window's output socket (main/terminal/output-socket.ts); it gets no answer. */
export const OUTPUT_SOCKET = 'terminal.output-socket';
/**
 * Sent after OUTPUT_SOCKET, with its id, once the sending process has closed
 * its own copy of the socket: the socket may be served now. Until then that
 * process still reads the socket and would drop what it read, so the
 * window's first request could be lost if the handshake were completed
 * before.
 */
export const OUTPUT_SOCKET_RELEASED = 'terminal.output-socket-released';
