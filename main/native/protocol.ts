/**
 * Messages between a service process and the native I/O process (Electron's
 * utility process, or a child process in the headless host). Kept to a tiny
 * request/response shape: the channel is a structured-clone port, not HTTP,
 * and later issues stream terminal data over their own ports.
 */
export interface NativeRequest {
  id: number;
  method: string;
  params?: unknown;
}

export type NativeResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** The one message shape a worker sends unasked: it is up. */
export interface NativeReady {
  ready: true;
  pid: number;
}

export const NATIVE_MODULES = ['node-pty', 'serialport', 'ssh2'] as const;
