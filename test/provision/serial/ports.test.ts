/**
 * Listing serial ports: through udev when it answers, by name under /dev
 * when it does not (containers, minimal systems), and never by throwing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSerialPorts } from '../../../main/provision/serial';
import { scanDevFolder } from '../../../main/provision/serial/ports';
import { tempDir } from '../../support/tmp';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

describe('serial port list', () => {
  it('finds ports by name: UARTs that answer, USB-serial and CDC-ACM adapters; not ptys, consoles or absent UARTs', () => {
    const dev = tempDir();
    const sys = tempDir();
    for (const n of ['ttyS0', 'ttyS1', 'ttyS10', 'ttyUSB0', 'ttyACM3', 'tty0', 'tty1', 'ttyprintk', 'console', 'ptmx']) fs.writeFileSync(path.join(dev, n), '');
    fs.mkdirSync(path.join(dev, 'pts'));
    // The kernel's 8250 driver makes ttyS1 whether or not a UART is there; "type" 0 says none is.
    for (const [n, type] of [
      ['ttyS0', '4'],
      ['ttyS1', '0'],
      ['ttyS10', '4'],
    ]) {
      fs.mkdirSync(path.join(sys, n!));
      fs.writeFileSync(path.join(sys, n!, 'type'), `${type}\n`);
    }
    expect(scanDevFolder(dev, sys).map((p) => path.basename(p.path))).toEqual(['ttyACM3', 'ttyS0', 'ttyS10', 'ttyUSB0']);
    expect(scanDevFolder(path.join(dev, 'missing'), sys)).toEqual([]);
  });

  it.skipIf(process.platform !== 'linux')('falls back to the /dev scan and says why when udev cannot be asked', async () => {
    // No udevadm on the PATH: what serialport's Linux listing meets in a container without udev.
    process.env.PATH = tempDir();
    const r = await listSerialPorts();
    expect(r.error).not.toBeNull();
    expect(r.error!.en).toContain('udevadm');
    expect(r.error!.en).toContain('type the port');
    expect(r.error!.zh).toContain('手动输入');
    expect(r.ports).toEqual(scanDevFolder());
  });

  it('lists without an error where the system can list', async () => {
    const r = await listSerialPorts();
    if (r.error) expect(r.ports).toEqual(scanDevFolder());
    else for (const p of r.ports) expect(p.path).toMatch(/^(\/dev\/|COM)/);
  });
});
