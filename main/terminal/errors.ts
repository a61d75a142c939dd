/** The terminal's refusals, with what the user can do about each. */
import { AppError } from '../api/errors';

export const TerminalErrors = {
  NOT_FOUND: 'TERMINAL_NOT_FOUND',
  ENDED: 'TERMINAL_ENDED',
  SHELL_MISSING: 'TERMINAL_SHELL_MISSING',
  SPAWN_FAILED: 'TERMINAL_SPAWN_FAILED',
  TARGET_MISSING: 'TERMINAL_TARGET_MISSING',
  NOT_SERIAL: 'TERMINAL_NOT_SERIAL',
} as const;

export function sessionNotFound(id: string): AppError {
  return new AppError(TerminalErrors.NOT_FOUND, {
    en: `There is no terminal session ${id}. It was closed, or the station was restarted.`,
    zh: `没有终端会话 ${id}。它已关闭，或工作站已重启。`,
  });
}

export function sessionEnded(title: string): AppError {
  return new AppError(TerminalErrors.ENDED, {
    en: `The session "${title}" has ended; open a new one.`,
    zh: `会话“${title}”已结束；请新开一个。`,
  });
}
