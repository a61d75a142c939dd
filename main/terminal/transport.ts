/**
 * The one session interface every transport implements (as Tabby does: one
 * session shape, one implementation per transport), in the native process.
 */
import type { LocalizedText } from '../api/errors';

/** What a transport reports. */
export interface TerminalSink {
  data(text: string): void;
  /** Connected (again, after a replug). */
  opened(): void;
  /** Waiting for the device to come back. */
  reconnecting(status: LocalizedText): void;
  ended(status: LocalizedText, exitCode: number | null): void;
}

export interface TerminalTransport {
  readonly title: string;
  readonly target: string;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Flow control: stop reading from the source, and start again. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
