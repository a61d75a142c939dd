/**
 * The serial transport's errors: each one a stable code and a message that
 * tells the technician at the bench what to check, in both UI languages.
 */
import { AppError } from '../../api/errors';

export const SerialErrors = {
  SERIAL_PORT_MISSING: 'SERIAL_PORT_MISSING',
  SERIAL_PORT_BUSY: 'SERIAL_PORT_BUSY',
  SERIAL_PORT_DENIED: 'SERIAL_PORT_DENIED',
  SERIAL_PORT_FAILED: 'SERIAL_PORT_FAILED',
  SERIAL_NO_RESPONSE: 'SERIAL_NO_RESPONSE',
  SERIAL_NO_SHELL: 'SERIAL_NO_SHELL',
  SERIAL_LOGIN_FAILED: 'SERIAL_LOGIN_FAILED',
  SERIAL_PASSWORD_REQUIRED: 'SERIAL_PASSWORD_REQUIRED',
  SERIAL_SUDO_FAILED: 'SERIAL_SUDO_FAILED',
  SERIAL_TOOL_MISSING: 'SERIAL_TOOL_MISSING',
  SERIAL_DISCONNECTED: 'SERIAL_DISCONNECTED',
  SERIAL_CLOSED: 'SERIAL_CLOSED',
  SHELL_TIMEOUT: 'SHELL_TIMEOUT',
  CANCELLED: 'CANCELLED',
  SERIAL_UPLOAD_FAILED: 'SERIAL_UPLOAD_FAILED',
  SERIAL_UPLOAD_CORRUPT: 'SERIAL_UPLOAD_CORRUPT',
  SERIAL_BOX_DISK_FULL: 'SERIAL_BOX_DISK_FULL',
  SERIAL_ZMODEM_FAILED: 'SERIAL_ZMODEM_FAILED',
  SERIAL_NIC_MISSING: 'SERIAL_NIC_MISSING',
  SERIAL_NETWORK_FAILED: 'SERIAL_NETWORK_FAILED',
  SERIAL_SSH_START_FAILED: 'SERIAL_SSH_START_FAILED',
} as const;

export type SerialErrorCode = (typeof SerialErrors)[keyof typeof SerialErrors];

/** "115200 8N1" — how technicians write line settings, and what they compare with the box's console setting. */
export function describeLine(line: { baud: number; dataBits: number; parity: string; stopBits: number }): string {
  return `${line.baud} ${line.dataBits}${line.parity.charAt(0).toUpperCase()}${line.stopBits}`;
}

export function serialError(
  code: SerialErrorCode,
  en: string,
  zh: string,
  options: { file?: string; field?: (string | number)[]; cause?: unknown } = {},
): AppError {
  return new AppError(code, { en, zh }, options);
}

export function cancelled(): AppError {
  return serialError(SerialErrors.CANCELLED, 'Cancelled.', '已取消。');
}

export function closedError(path: string): AppError {
  return serialError(
    SerialErrors.SERIAL_CLOSED,
    `The serial session on ${path} is closed. Connect again to continue.`,
    `${path} 上的串口会话已关闭。请重新连接后继续。`,
    { file: path },
  );
}

export function disconnectedError(path: string, detail: string): AppError {
  return serialError(
    SerialErrors.SERIAL_DISCONNECTED,
    `The serial line ${path} went away (${detail}). Check the USB-serial adapter and its cable; EdgeForge reconnects when the device comes back.`,
    `串口 ${path} 已断开（${detail}）。请检查 USB 转串口适配器及线缆；设备恢复后 EdgeForge 会自动重连。`,
    { file: path },
  );
}

/** Maps serialport's open errors (errno text from the OS) to what the technician can do about them. */
export function openError(path: string, e: Error): AppError {
  const msg = e.message;
  if (/ENOENT|No such file|cannot find the file/i.test(msg))
    return serialError(
      SerialErrors.SERIAL_PORT_MISSING,
      `There is no serial device ${path}. Plug in the USB-serial adapter, or pick the port from the list (a new adapter may appear under another name).`,
      `没有串口设备 ${path}。请插上 USB 转串口适配器，或从列表中选择端口（新适配器可能以其他名称出现）。`,
      { file: path, cause: e },
    );
  if (/EACCES|Permission denied|Access denied/i.test(msg))
    return serialError(
      SerialErrors.SERIAL_PORT_DENIED,
      `EdgeForge may not open ${path} (permission denied). On Linux, add this user to the "dialout" group and log in again.`,
      `EdgeForge 无权打开 ${path}（权限被拒绝）。在 Linux 上请将当前用户加入“dialout”组并重新登录。`,
      { file: path, cause: e },
    );
  if (/EBUSY|Resource temporarily unavailable|lock|in use/i.test(msg))
    return serialError(
      SerialErrors.SERIAL_PORT_BUSY,
      `${path} is in use by another program (a terminal such as minicom or PuTTY, or another EdgeForge session). Close it there, or disconnect it in EdgeForge, then try again.`,
      `${path} 正被其他程序占用（如 minicom、PuTTY 等终端，或另一个 EdgeForge 会话）。请先在那里关闭，或在 EdgeForge 中断开，然后重试。`,
      { file: path, cause: e },
    );
  return serialError(SerialErrors.SERIAL_PORT_FAILED, `${path} could not be opened: ${msg}`, `无法打开 ${path}：${msg}`, { file: path, cause: e });
}
