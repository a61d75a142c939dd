import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { create as createQrCode, type QRCodeSegment } from 'qrcode';
import { describe, expect, it } from 'vitest';

// resources/installer/qr.awk draws the activation code on a box's terminal. Its
// output is read back into modules and decoded by a real decoder (jsQR), under every
// awk a box may have, and compared module for module with the qrcode library.

const QR_AWK = path.resolve(__dirname, '../../resources/installer/qr.awk');

interface Awk {
  name: string;
  argv: string[];
}

const CANDIDATES: Awk[] = [
  { name: 'mawk', argv: ['mawk'] },
  { name: 'gawk', argv: ['gawk'] },
  { name: 'gawk --posix', argv: ['gawk', '--posix'] },
  { name: 'busybox awk', argv: ['busybox', 'awk'] },
];

function installed(awk: Awk): boolean {
  const r = spawnSync(awk.argv[0]!, [...awk.argv.slice(1), 'BEGIN { print 6 * 7 }'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '42';
}

const AWKS = CANDIDATES.map((awk) => ({ ...awk, present: installed(awk) }));
process.stdout.write(`qr.awk runs under: ${AWKS.map((a) => `${a.name} (${a.present ? 'used' : 'not installed, skipped'})`).join(', ')}\n`);

type Style = 'ascii' | 'utf8';

function runQrAwk(awk: Awk, text: string, style: Style, extra: string[] = []) {
  const r = spawnSync(awk.argv[0]!, [...awk.argv.slice(1), '-v', `text=${text}`, '-v', `style=${style}`, ...extra, '-f', QR_AWK], {
    input: '',
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An activation code of the given length: groups of five from the code alphabet, joined by '-'. */
function activationCode(length: number): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let out = '7ZQ4K-0M1C8-';
  let seed = length * 7919 + 17;
  while (out.length < length) {
    if (out.length % 6 === 5) out += '-';
    else {
      seed = (seed * 48271) % 2147483647;
      out += alphabet[seed % alphabet.length];
    }
  }
  return out.slice(0, length).replace(/-$/, 'X');
}

/** Module matrix (true = dark) read back from the terminal picture, quiet zone included. */
function parseAscii(out: string): boolean[][] {
  const lines = out.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    expect(line.length % 2).toBe(0);
    const row: boolean[] = [];
    for (let i = 0; i < line.length; i += 2) {
      const cell = line.slice(i, i + 2);
      if (cell === '  ') row.push(true);
      else if (cell === '##') row.push(false);
      else throw new Error(`unexpected ascii cell ${JSON.stringify(cell)}`);
    }
    return row;
  });
}

// Half blocks: [top is light, bottom is light]. A dark module is a space.
const HALF: Record<string, [boolean, boolean]> = { '\u2588': [true, true], '\u2580': [true, false], '\u2584': [false, true], ' ': [false, false] };

function parseUtf8(out: string): boolean[][] {
  const lines = out.split('\n').filter((l) => l !== '');
  const width = [...lines[0]!].length;
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line];
    expect(chars.length).toBe(width);
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (const ch of chars) {
      const half = HALF[ch];
      if (!half) throw new Error(`unexpected character U+${ch.codePointAt(0)!.toString(16)}`);
      top.push(!half[0]);
      bottom.push(!half[1]);
    }
    rows.push(top, bottom);
  }
  // Square symbol: an odd picture height leaves the last bottom half unused (and dark).
  expect(rows.length - width).toBeGreaterThanOrEqual(0);
  expect(rows.length - width).toBeLessThanOrEqual(1);
  if (rows.length > width) expect(rows.pop()!.every((dark) => dark)).toBe(true);
  return rows;
}

function parse(out: string, style: Style): boolean[][] {
  return style === 'ascii' ? parseAscii(out) : parseUtf8(out);
}

/** Decodes a module matrix with jsQR: 4 px per module, black on white, plus a white margin. */
function decode(matrix: boolean[][]) {
  const scale = 4;
  const margin = 16;
  const n = matrix.length;
  const size = n * scale + 2 * margin;
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!matrix[r]![c]) continue;
      for (let y = 0; y < scale; y++) {
        for (let x = 0; x < scale; x++) {
          const p = ((margin + r * scale + y) * size + margin + c * scale + x) * 4;
          pixels[p] = pixels[p + 1] = pixels[p + 2] = 0;
        }
      }
    }
  }
  // No inversion: a symbol drawn with the wrong polarity must fail here.
  return jsQR(pixels, size, size, { inversionAttempts: 'dontInvert' });
}

function stripQuietZone(matrix: boolean[][], quiet: number): boolean[][] {
  const n = matrix.length;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (r < quiet || c < quiet || r >= n - quiet || c >= n - quiet) expect(matrix[r]![c], `quiet zone module ${r},${c}`).toBe(false);
    }
  }
  return matrix.slice(quiet, n - quiet).map((row) => row.slice(quiet, n - quiet));
}

/**
 * ISO/IEC 18004:2015 7.8.3, Table 11: N1 runs of five or more, N2 2x2 blocks, N3 1:1:3:1:1
 * finder-like patterns with four light modules on one side (outside the symbol is quiet
 * zone, so light), N4 10 points per full 5 % of dark modules away from 50 %.
 */
function maskPenalty(symbol: boolean[][]): number {
  const n = symbol.length;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(symbol[i]!.map((d) => (d ? '1' : '0')).join(''));
    lines.push(symbol.map((row) => (row[i] ? '1' : '0')).join(''));
  }
  let score = 0;
  for (const line of lines) {
    for (const run of line.match(/0{5,}|1{5,}/g) ?? []) score += 3 + run.length - 5;
    const padded = `0000${line}0000`;
    for (let at = padded.indexOf('1011101'); at >= 0; at = padded.indexOf('1011101', at + 1)) {
      if (padded.slice(at - 4, at) === '0000' || padded.slice(at + 7, at + 11) === '0000') score += 40;
    }
  }
  let dark = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (symbol[r]![c]) dark++;
      if (r + 1 < n && c + 1 < n) {
        const block = [symbol[r]![c], symbol[r]![c + 1], symbol[r + 1]![c], symbol[r + 1]![c + 1]];
        if (block.every((d) => d === block[0])) score += 3;
      }
    }
  }
  return score + 10 * Math.floor(Math.abs(dark * 100 - n * n * 50) / (n * n) / 5);
}

// ISO/IEC 18004:2015 Table 7, level M: most characters per version 1..10.
const CAPACITY_M = {
  alphanumeric: [20, 38, 61, 90, 122, 154, 178, 221, 262, 311],
  byte: [14, 26, 42, 62, 84, 106, 122, 152, 180, 213],
};

function expectedVersion(text: string): number {
  const mode = /^[0-9A-Z $%*+\-./:]*$/.test(text) ? 'alphanumeric' : 'byte';
  return CAPACITY_M[mode].findIndex((cap) => text.length <= cap) + 1;
}

const LONGEST = activationCode(311);

const CASES: { label: string; text: string }[] = [
  { label: '1 character', text: '7' },
  { label: '55-character request code', text: activationCode(55) },
  { label: '145-character activation code', text: activationCode(145) },
  { label: 'longest alphanumeric text (311, version 10-M)', text: LONGEST },
  { label: 'byte-mode text (lower case and punctuation)', text: 'https://edgeforge.test/activate?code=7zq4k-0m1c8' },
  { label: 'longest byte-mode text (213, version 10-M)', text: 'edge-box-'.repeat(24).slice(0, 213) },
];

// Texts at both sides of every version boundary, 1..10.
const BOUNDARIES = CAPACITY_M.alphanumeric.flatMap((cap, i) => (i === 9 ? [cap] : [cap, cap + 1]));

describe('qr.awk, the installer QR code drawer', () => {
  it('finds at least one awk to run', () => {
    expect(AWKS.filter((a) => a.present).map((a) => a.name)).not.toEqual([]);
  });

  it('is pure ASCII source, so no awk or locale can misread it', () => {
    const source = fs.readFileSync(QR_AWK);
    expect(source.every((b) => b === 0x0a || (b >= 0x20 && b < 0x7f))).toBe(true);
  });

  it('has fixtures that reach versions 1, 3, 4, 6 and 10 in both modes', () => {
    expect(CASES.map((c) => c.text.length)).toEqual([1, 55, 145, 311, 48, 213]);
    expect(CASES.map((c) => expectedVersion(c.text))).toEqual([1, 3, 6, 10, 4, 10]);
    expect(activationCode(55)).toMatch(/^7ZQ4K-0M1C8-[0-9A-Z-]+$/);
  });
});

for (const awk of AWKS) {
  describe.skipIf(!awk.present)(`qr.awk under ${awk.name}`, () => {
    for (const style of ['ascii', 'utf8'] as const) {
      for (const { label, text } of CASES) {
        it(`${style}: a ${label} decodes back to the text, at the smallest version`, () => {
          const r = runQrAwk(awk, text, style);
          expect(r.stderr).toBe('');
          expect(r.status).toBe(0);
          const symbol = stripQuietZone(parse(r.stdout, style), 2);
          const version = expectedVersion(text);
          expect(symbol.length).toBe(4 * version + 17);
          const decoded = decode(symbol);
          expect(decoded, 'jsQR found no symbol').not.toBeNull();
          expect(decoded!.data).toBe(text);
          expect(decoded!.version).toBe(version);
          expect(decoded!.chunks.map((c) => c.type)).toEqual([/^[0-9A-Z-]+$/.test(text) ? 'alphanumeric' : 'byte']);
        });
      }
    }

    it('picks the smallest version on both sides of every version boundary (1..10)', () => {
      for (const length of BOUNDARIES) {
        const text = activationCode(length);
        const r = runQrAwk(awk, text, 'ascii');
        expect(r.status, `length ${length}`).toBe(0);
        const symbol = stripQuietZone(parseAscii(r.stdout), 2);
        expect(symbol.length, `length ${length}`).toBe(4 * expectedVersion(text) + 17);
        expect(decode(symbol)?.data, `length ${length}`).toBe(text);
      }
    });

    it('honours -v quiet=4 and draws utf8 and ascii as the same modules', () => {
      const text = activationCode(55);
      const wide = parseAscii(runQrAwk(awk, text, 'ascii', ['-v', 'quiet=4']).stdout);
      const ascii = stripQuietZone(wide, 4);
      const utf8 = stripQuietZone(parseUtf8(runQrAwk(awk, text, 'utf8', ['-v', 'quiet=4']).stdout), 4);
      expect(wide.length).toBe(ascii.length + 8);
      expect(utf8).toEqual(ascii);
      expect(decode(ascii)?.data).toBe(text);
    });

    it('matches the qrcode library module for module, with the mask of lowest Table 11 penalty', () => {
      const masks = new Set<number>();
      for (const { text } of [...CASES, ...BOUNDARIES.map((n) => ({ text: activationCode(n) }))]) {
        const ours = stripQuietZone(parseAscii(runQrAwk(awk, text, 'ascii').stdout), 2);
        const segment: QRCodeSegment = /^[0-9A-Z-]+$/.test(text) ? { mode: 'alphanumeric', data: text } : { mode: 'byte', data: Buffer.from(text) };
        // The library's symbol under each of the eight masks, format information included.
        const candidates = ([0, 1, 2, 3, 4, 5, 6, 7] as const).map((maskPattern) => {
          const theirs = createQrCode([segment], { errorCorrectionLevel: 'M', version: (ours.length - 17) / 4, maskPattern }).modules;
          return Array.from({ length: theirs.size }, (_, r) => Array.from({ length: theirs.size }, (_, c) => theirs.get(r, c) === 1));
        });
        const matching = candidates.flatMap((candidate, mask) => (JSON.stringify(candidate) === JSON.stringify(ours) ? [mask] : []));
        expect(matching, text).toHaveLength(1);
        const penalties = candidates.map(maskPenalty);
        // Ties go to the lowest mask number.
        expect(matching[0], `${text}: penalties ${penalties.join(' ')}`).toBe(penalties.indexOf(Math.min(...penalties)));
        masks.add(matching[0]!);
      }
      // A fixed mask would give one value here; scoring all eight gives several.
      expect(masks.size).toBeGreaterThan(1);
    });

    it('refuses text too long for version 10-M with exit status 2 and a message', () => {
      for (const text of [LONGEST + 'A', 'x'.repeat(214)]) {
        const r = runQrAwk(awk, text, 'utf8');
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/too long/);
      }
    });

    it('refuses an empty text and a character outside printable ASCII with exit status 2', () => {
      for (const text of ['', 'CODE-\u00c9']) {
        const r = runQrAwk(awk, text, 'ascii');
        expect(r.status, JSON.stringify(text)).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^qr\.awk: /);
      }
    });
  });
}
