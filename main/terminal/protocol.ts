/**
 * What the service process and the native I/O process say about terminal
 * sessions. The sessions themselves (a pty, an SSH channel, a serial port)
 * live in the native process, with their output (its replay buffer, its
 * readers, its acknowledgements); the service keeps what the UI needs of
 * each (its state, title, target) and tells the worker, so that a window's
 * own output socket (main/terminal/output-socket.ts) can give it too.
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
 *
 * Sized for a flood (bench/README.md, terminal): chunks of 500k make a
 * fifth of the messages of 100k chunks, and a window of 4M with 2M between
 * the marks keeps the renderer's next chunks on their way while it draws
 * (at 500k/100k it waited for output about a fifth of the time; since the
 * output stream, 4M/2M beat 2M/1M in each of five alternated runs, 8M/4M
 * did no better). What a Ctrl-C cannot stop is at most the window: about
 * 0.25 s of a flood.
 */
export const FLOW = { chunkChars: 500_000, highWater: 4_000_000, lowWater: 2_000_000 } as const;

/** How often a pod session pings its API server; two intervals without an answer mean the connection is gone. */
export const POD_KEEPALIVE_MS = 20_000;

/**
 * How the native process reaches a cluster's API server: taken from the
 * cluster's kubeconfig by the service, so that the worker needs no store
 * and no kubeconfig parser. PEM texts, not base64.
 */
export interface KubeEndpoint {
  /** The cluster's name, for the session's target and the messages. */
  cluster: string;
  server: string;
  ca: string | null;
  insecure: boolean;
  serverName: string | null;
  cert: string | null;
  key: string | null;
  token: string | null;
  basic: { username: string; password: string } | null;
}

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
  | { kind: 'pod'; api: KubeEndpoint; namespace: string; pod: string; container: string | null; command: string[]; keepaliveMs: number }
);

export interface WorkerOpened {
  /** SSH: the host key and, when this connection trusted or re-trusted it, the key (base64) for the station's store. */
  hostKey: { fingerprint: string; firstUse: boolean } | null;
  record: { kind: 'remember' | 'retrust'; key: string } | null;
}

/** Output as a reader gets it: a piece from `offset`, or output the replay buffer no longer holds. */
export type TerminalOutputEvent = { type: 'data'; offset: number; data: string } | { type: 'gap'; from: number; to: number };

export type TerminalWorkerEvent =
  /** Output for the service's reader `sub` (terminal.read): the API's attach stream, where a window cannot read the native process itself. */
  | { type: 'output'; sub: number; event: TerminalOutputEvent }
  /** How far a session's output has come, a few times a second while it flows (the session's `offset`). */
  | { type: 'progress'; id: string; offset: number }
  | { type: 'state'; id: string; state: 'open' | 'reconnecting' | 'exited'; status: LocalizedText | null; exitCode: number | null; offset: number };
