/**
 * What the service process and the native I/O process say about terminal
 * sessions. The sessions themselves (a pty, an SSH channel, a serial port)
 * live in the native process; the service keeps what the UI needs (state,
 * the replay buffer) and relays acknowledgements for flow control.
 */
import type { LocalizedText } from '../api/errors';
import type { KnownHost } from '../provision/known-hosts';
import type { SerialLineSettings } from '../provision/serial/line';
import type { SshTarget } from '../provision/ssh';

/** The name of the worker's terminal events (NativeEvent.event). */
export const TERMINAL_EVENT = 'terminal';

/**
 * Acknowledged flow control (DESIGN §3b, as VS Code's pty host does):
 * output goes in chunks of at most `chunkChars`; the source is paused once
 * more than `highWater` characters are unacknowledged and resumed when the
 * renderer has caught up to below `lowWater`.
 */
export const FLOW = { chunkChars: 100_000, highWater: 500_000, lowWater: 100_000 } as const;

export type WorkerOpen = { id: string; cols: number; rows: number } & (
  | { kind: 'local'; shell: string; args: string[]; cwd: string }
  | {
      kind: 'ssh';
      target: SshTarget;
      /** The station's entry for this host, the key as base64. */
      known: { host: string; port: number; key: string | null; entry: KnownHost | null };
      retrustFingerprint?: string;
    }
  | { kind: 'serial'; path: string; settings: SerialLineSettings }
);

export interface WorkerOpened {
  /** SSH: the host key and, when this connection trusted or re-trusted it, the key (base64) for the station's store. */
  hostKey: { fingerprint: string; firstUse: boolean } | null;
  record: { kind: 'remember' | 'retrust'; key: string } | null;
}

export type TerminalWorkerEvent =
  | { type: 'data'; id: string; data: string }
  | { type: 'state'; id: string; state: 'open' | 'reconnecting' | 'exited'; status: LocalizedText | null; exitCode: number | null };
