/** What the page and the Terminal's output worker (output-worker.ts) say to each other. */
import type { ORPCErrorJSON } from '@orpc/client';
import type { TerminalEvent } from '../../../main/api/contract';

export type OutputRequest =
  /** The worker's own connection: an API port to Electron's main process, or the URL of the headless host's output socket. */
  | { type: 'connect'; port?: MessagePort; url?: string }
  /** terminal.attach of session `id` from `from`; its events come back under `key`. */
  | { type: 'attach'; key: number; id: string; from: number }
  | { type: 'detach'; key: number };

export type OutputReply =
  | { type: 'event'; key: number; event: TerminalEvent }
  /** Output as an output frame's body (TerminalOutputFrame), passed on whole and transferred, not copied. */
  | { type: 'frame'; frame: ArrayBuffer }
  /** The stream ended (the session was closed and forgotten). */
  | { type: 'end'; key: number }
  /** The stream failed: the API's error in oRPC's JSON form (createORPCErrorFromJson rebuilds it). */
  | { type: 'error'; key: number; error: ORPCErrorJSON<string, unknown> }
  /** The worker's connection closed: no stream goes on through it. */
  | { type: 'lost' };
