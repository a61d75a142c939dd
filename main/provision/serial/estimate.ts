/**
 * How long a file takes over a serial line, and when to stop and use the
 * network instead.
 *
 * A UART sends each character as a frame: one start bit, the data bits, an
 * optional parity bit and one, one and a half or two stop bits, so 115200
 * 8N1 carries 11520 characters a second. ZMODEM sends 8-bit bytes and adds
 * about 3%: the escaped bytes (ZDLE, XON/XOFF, DLE and CR after @, 7 of 256
 * values) and a CRC per 8 KiB subpacket. base64 needs no 8-bit line but
 * sends 4 characters per 3 bytes plus a newline every 76, and each chunk's
 * command and check.
 */
import type { LocalizedText } from '../../api/errors';
import { describeLine } from './errors';
import type { SerialLineSettings } from './line';

export type SerialTransferMethod = 'zmodem' | 'base64';

export const PROTOCOL_OVERHEAD: Record<SerialTransferMethod, number> = {
  zmodem: 1.03,
  base64: (4 / 3) * (77 / 76) * 1.02,
};

/** Start-up and the closing sha256sum on the box, roughly; small beside any real bundle. */
const FIXED_SECONDS = 3;

export function frameBits(line: Pick<SerialLineSettings, 'dataBits' | 'parity' | 'stopBits'>): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** Characters per second the line carries at most. */
export function lineCharsPerSecond(line: Pick<SerialLineSettings, 'baud' | 'dataBits' | 'parity' | 'stopBits'>): number {
  return line.baud / frameBits(line);
}

/** ZMODEM needs all 8 data bits; a 7-bit line has to use base64. */
export function defaultMethod(line: Pick<SerialLineSettings, 'dataBits'>): SerialTransferMethod {
  return line.dataBits === 8 ? 'zmodem' : 'base64';
}

export function estimateTransferSeconds(
  bytes: number,
  line: Pick<SerialLineSettings, 'baud' | 'dataBits' | 'parity' | 'stopBits'>,
  method: SerialTransferMethod = defaultMethod(line),
): number {
  return (bytes * PROTOCOL_OVERHEAD[method]) / lineCharsPerSecond(line) + FIXED_SECONDS;
}

export interface SerialTransferAdvice {
  seconds: number;
  method: SerialTransferMethod;
  /** Within the time the caller allows. */
  fits: boolean;
  message: LocalizedText;
}

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function duration(seconds: number): LocalizedText {
  const s = Math.ceil(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return { en: `${d} d ${h} h`, zh: `${d} 天 ${h} 小时` };
  if (h > 0) return { en: `${h} h ${m} min`, zh: `${h} 小时 ${m} 分钟` };
  if (m > 0) return { en: `${m} min ${s % 60} s`, zh: `${m} 分 ${s % 60} 秒` };
  return { en: `${s} s`, zh: `${s} 秒` };
}

/** Whether a file of this size is worth sending over the line, in words for the technician. */
export function serialTransferAdvice(
  bytes: number,
  line: Pick<SerialLineSettings, 'baud' | 'dataBits' | 'parity' | 'stopBits'>,
  maxSeconds: number,
  method: SerialTransferMethod = defaultMethod(line),
): SerialTransferAdvice {
  const seconds = estimateTransferSeconds(bytes, line, method);
  const t = duration(seconds);
  const l = describeLine(line);
  const how = method === 'zmodem' ? 'ZMODEM' : 'base64';
  if (seconds <= maxSeconds)
    return {
      seconds,
      method,
      fits: true,
      message: { en: `About ${t.en} to send ${size(bytes)} over ${l} (${how}).`, zh: `通过 ${l}（${how}）发送 ${size(bytes)} 约需 ${t.zh}。` },
    };
  const limit = duration(maxSeconds);
  return {
    seconds,
    method,
    fits: false,
    message: {
      en: `${size(bytes)} over ${l} would take about ${t.en} by ${how}, more than the ${limit.en} allowed. Use the network instead: let EdgeForge set up a NIC over the serial console (address, gateway, sshd), then send the bundle over SSH.`,
      zh: `通过 ${l} 以 ${how} 发送 ${size(bytes)} 约需 ${t.zh}，超过允许的 ${limit.zh}。请改用网络：由 EdgeForge 通过串口控制台配置网口（地址、网关、sshd），再经 SSH 发送安装包。`,
    },
  };
}
