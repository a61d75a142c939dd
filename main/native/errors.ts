/**
 * The native I/O process's refusals: it is not there (not started, died,
 * restarting, could not be written to) or it did not answer in time. The
 * English text keeps the technical detail for the log; both languages say
 * what to do.
 */
import { AppError, type LocalizedText } from '../api/errors';

export const NativeErrors = {
  UNAVAILABLE: 'NATIVE_UNAVAILABLE',
  TIMEOUT: 'NATIVE_TIMEOUT',
} as const;

/** Why the process cannot take a request. */
export const NativeReasons = {
  notRunning: (): LocalizedText => ({ en: 'it is not running', zh: '它未在运行' }),
  notStarted: (why: string): LocalizedText => ({ en: `it could not be started (${why})`, zh: `无法启动它（${why}）` }),
  notReady: (s: number): LocalizedText => ({ en: `it did not report ready within ${s} s`, zh: `它未在 ${s} 秒内报告就绪` }),
  exited: (code: number | null): LocalizedText => ({ en: `it exited unexpectedly (code ${code})`, zh: `它意外退出（代码 ${code}）` }),
  exitedDuring: (code: number | null, method: string): LocalizedText => ({
    en: `it exited (code ${code}) before answering ${method}`,
    zh: `它在响应 ${method} 之前退出（代码 ${code}）`,
  }),
  unreachable: (method: string, why: string): LocalizedText => ({
    en: `it could not be reached for ${method} (${why}); it is restarting`,
    zh: `无法为 ${method} 联系到它（${why}）；它正在重启`,
  }),
};

export function nativeUnavailable(reason: LocalizedText): AppError {
  return new AppError(NativeErrors.UNAVAILABLE, {
    en: `The native I/O process (terminals, serial ports) is not available: ${reason.en}. It restarts on its own; try again in a few seconds, and restart EdgeForge if this persists.`,
    zh: `原生 I/O 进程（终端、串口）不可用：${reason.zh}。它会自动重启；请几秒后重试，若持续出现请重启 EdgeForge。`,
  });
}

export function nativeTimeout(method: string, ms: number): AppError {
  return new AppError(NativeErrors.TIMEOUT, {
    en: `The native I/O process did not answer ${method} within ${ms / 1000} s. The port or connection may be hung; try again, or close the session.`,
    zh: `原生 I/O 进程未在 ${ms / 1000} 秒内响应 ${method}。端口或连接可能已挂起；请重试，或关闭该会话。`,
  });
}
