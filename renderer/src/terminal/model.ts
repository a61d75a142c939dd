/** Small facts about sessions, shared by the tabs, the views and the dialog. */
import type { TerminalSession } from '../../../main/api/contract';

export type SessionState = TerminalSession['state'];

/** The contract's standard baud rates (BAUD_RATES; the renderer imports only types). */
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;

/** A serial session's port: its target is "<path> <baud> <8N1>", and a path has no spaces. */
export function serialPath(session: TerminalSession): string {
  return session.target.split(' ')[0] ?? session.target;
}

export function byCreation(a: TerminalSession, b: TerminalSession): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}
