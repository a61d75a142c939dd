/** Transfer time over a serial line from its framing, and when to send the technician to the network instead. */
import { describe, expect, it } from 'vitest';
import { estimateTransferSeconds, frameBits, lineCharsPerSecond, serialTransferAdvice } from '../../../main/provision/serial';

const line = (baud: number, dataBits = 8, parity = 'none' as 'none' | 'even', stopBits = 1 as 1 | 1.5 | 2) => ({ baud, dataBits, parity, stopBits });

describe('serial transfer estimate', () => {
  it('counts start, data, parity and stop bits per character', () => {
    expect(frameBits(line(115200))).toBe(10);
    expect(frameBits(line(9600, 7, 'even'))).toBe(10);
    expect(frameBits(line(9600, 8, 'even', 2))).toBe(12);
    expect(frameBits(line(9600, 8, 'none', 1.5))).toBe(10.5);
    expect(lineCharsPerSecond(line(115200))).toBe(11520);
    expect(lineCharsPerSecond(line(9600, 8, 'even', 2))).toBe(800);
  });

  it('adds ZMODEM’s few percent, or base64’s third, and uses base64 on a 7-bit line', () => {
    const mib = 1024 * 1024;
    const z = estimateTransferSeconds(mib, line(115200));
    expect(z).toBeGreaterThan(mib / 11520);
    expect(z).toBeLessThan((mib / 11520) * 1.05 + 5);
    const b = estimateTransferSeconds(mib, line(115200), 'base64');
    expect(b / z).toBeGreaterThan(1.3);
    expect(estimateTransferSeconds(mib, line(115200, 7, 'even'))).toBeCloseTo(b, 5);
    // Twice the baud, about half the time.
    expect(estimateTransferSeconds(100 * mib, line(230400)) / estimateTransferSeconds(100 * mib, line(115200))).toBeCloseTo(0.5, 2);
  });

  it('says a bundle is too big for the line and recommends the network, in both languages', () => {
    const big = serialTransferAdvice(2 * 1024 ** 3, line(115200), 30 * 60);
    expect(big.fits).toBe(false);
    expect(big.method).toBe('zmodem');
    expect(big.seconds).toBeGreaterThan(2 * 86400);
    expect(big.message.en).toContain('2.0 GiB');
    expect(big.message.en).toContain('115200 8N1');
    expect(big.message.en).toContain('SSH');
    expect(big.message.en).toContain('2 d');
    expect(big.message.zh).toContain('SSH');
    expect(big.message.zh).toContain('天');

    const small = serialTransferAdvice(512 * 1024, line(115200), 30 * 60);
    expect(small.fits).toBe(true);
    expect(small.message.en).toBe('About 50 s to send 512.0 KiB over 115200 8N1 (ZMODEM).');
    expect(small.message.zh).toContain('秒');
  });
});
