/**
 * The serial ports this machine has, for the port picker.
 *
 * serialport's list() asks udev on Linux (`udevadm info -e`), which is
 * missing in containers and minimal systems; then the ports are found by
 * name under /dev instead, without the USB details, and the UI is told why so
 * it can offer a typed path too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import type { LocalizedText } from '../../api/errors';

export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export interface SerialPortList {
  ports: SerialPortInfo[];
  /** Why the list may be incomplete (no udev); null when the system listed the ports itself. */
  error: LocalizedText | null;
}

// Real UARTs, USB-serial adapters (FTDI, CH340, PL2303, CP210x) and USB CDC-ACM devices. Ptys are not ports.
const PORT_NAME = /^tty(S|USB|ACM)\d+$/;

/** Ports found by name in a /dev folder (the folder is a parameter so the scan can be tried on a made-up tree). */
export function scanDevFolder(dev = '/dev', sysClassTty = '/sys/class/tty'): SerialPortInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dev);
  } catch {
    return [];
  }
  return names
    .filter((n) => PORT_NAME.test(n))
    .filter((n) => !n.startsWith('ttyS') || uartPresent(path.join(sysClassTty, n)))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => ({ path: path.join(dev, n) }));
}

/** The kernel makes ttyS0–ttyS31 whether or not a UART answers; its "type" is 0 (unknown) when none does. */
function uartPresent(sysEntry: string): boolean {
  try {
    return fs.readFileSync(path.join(sysEntry, 'type'), 'utf8').trim() !== '0';
  } catch {
    // No sysfs to ask: keep the port rather than hide a real one.
    return true;
  }
}

function clean(info: { path: string; manufacturer?: string; serialNumber?: string; vendorId?: string; productId?: string }): SerialPortInfo {
  const out: SerialPortInfo = { path: info.path };
  if (info.manufacturer) out.manufacturer = info.manufacturer;
  if (info.serialNumber) out.serialNumber = info.serialNumber;
  if (info.vendorId) out.vendorId = info.vendorId;
  if (info.productId) out.productId = info.productId;
  return out;
}

/** Never throws: a failed system listing falls back to the /dev scan (Linux) and says why. */
export async function listSerialPorts(): Promise<SerialPortList> {
  try {
    const ports = await SerialPort.list();
    return { ports: ports.map(clean), error: null };
  } catch (e) {
    const why = (e as Error).message;
    const ports = process.platform === 'linux' ? scanDevFolder() : [];
    return {
      ports,
      error: {
        en: `The system could not list serial ports (${why}). ${process.platform === 'linux' ? 'These were found by name under /dev, without adapter details; ' : ''}type the port's path if yours is missing.`,
        zh: `系统无法列出串口（${why}）。${process.platform === 'linux' ? '以下端口按名称在 /dev 中找到，不含适配器信息；' : ''}如未列出您的端口，请手动输入其路径。`,
      },
    };
  }
}
