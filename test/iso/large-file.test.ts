/**
 * ISO level 3: a file of 4 GiB or more is written as several directory
 * records (multi-extent, ECMA-119 §9.1.6 bit 7), which xorriso and isoinfo
 * read back as one file with the right bytes on both sides of the split.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { remasterIso } from '../../main/iso/remaster';
import { MAX_EXTENT } from '../../main/iso/writer';
import { ensureBoxImage, ensureInstallerIsos } from '../lab/cache';
import { tempDir } from '../support/tmp';

const SIZE = 4 * 1024 ** 3 + 300 * 1024 ** 2; // 4.3 GiB
const CHUNK = 1024 * 1024;
/** Chunk i holds the byte i % 251, so that any offset's value is known. */
const byteAt = (offset: number) => Math.floor(offset / CHUNK) % 251;

describe('ISO files of 4 GiB or more', () => {
  it('are split into extents of at most 4 GiB − 2 KiB and read back whole', async () => {
    const source = ensureInstallerIsos(ensureBoxImage()).grub;
    const out = path.join(tempDir(), 'big.iso');
    const chunks = Array.from({ length: 251 }, (_, i) => Buffer.alloc(CHUNK, i));
    try {
      await remasterIso({
        source,
        output: out,
        replace: new Map(),
        add: [
          {
            path: '/edgeforge/bundle/images/big.tar',
            mode: 0o644,
            size: SIZE,
            chunks: async function* () {
              for (let i = 0; i < SIZE / CHUNK; i++) yield chunks[i % 251]!;
            },
          },
        ],
        efiImage: null,
        date: new Date('2026-11-22T00:00:00Z'),
        signal: new AbortController().signal,
        progress: () => undefined,
      });
      const ls = execFileSync('xorriso', ['-indev', out, '-find', '/edgeforge/bundle/images', '-type', 'f', '-exec', 'lsdl'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      expect(ls).toMatch(new RegExp(`\\s${SIZE}\\s.*big\\.tar`));
      // isoinfo lists one record per extent of the multi-extent file.
      const records = execFileSync('isoinfo', ['-l', '-i', out], { maxBuffer: 1 << 24 })
        .toString()
        .split('\n')
        .filter((l) => l.includes('BIG.TAR'));
      expect(records.length).toBe(2);
      expect(records[0]).toContain(String(MAX_EXTENT));
      // The bytes across the extent boundary are the ones written there.
      const at = MAX_EXTENT - 4096;
      const part = path.join(tempDir(), 'part');
      execFileSync('xorriso', ['-osirrox', 'on', '-indev', out, '-extract_cut', '/edgeforge/bundle/images/big.tar', String(at), '8192', part], {
        stdio: 'ignore',
      });
      const got = fs.readFileSync(part);
      expect(got.length).toBe(8192);
      for (const i of [0, 4095, 4096, 8191]) expect(got[i]).toBe(byteAt(at + i));
    } finally {
      fs.rmSync(out, { force: true });
    }
  }, 300_000);
});
