/**
 * The RHEL-family media check (isomd5sum's implantisomd5 / checkisomd5): an
 * MD5 of the image, and 20 fragment sums, written as text into the PVD's
 * application-use field. A remastered image gets them anew, or the
 * installer's "Test this media" fails on a good disc (DESIGN.md §3b).
 *
 * The format, from isomd5sum (rhinstaller/isomd5sum, utilities.h and
 * libimplantisomd5.c): the application-use field (PVD + 883, 512 bytes) reads
 * as spaces while hashing; the sum covers the volume (PVD volume space size)
 * minus its last 15 blocks, read in 32 KiB pieces; the volume is cut into 21
 * fragments of size/21 bytes, and when a piece starting in fragment n ≥ 1 is
 * read, the running MD5's digest gives 3 characters (the first hex digit of
 * each of its first 3 bytes) for fragment n. Reproducing the 32 KiB reads
 * matters: checkisomd5 computes the fragments the same way.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const BLOCK = 2048;
const APPDATA = 16 * BLOCK + 883;
const SKIP_BLOCKS = 15;
const FRAGMENTS = 20;
const PIECE = 16 * BLOCK;

/** The RHLISOSTATUS of an implanted sum, or null when the field holds none. */
export function mediaCheckStatus(applicationUse: string): number | null {
  if (!/ISO MD5SUM = [0-9a-f]{32}/.test(applicationUse)) return null;
  return Number(/RHLISOSTATUS=(\d+)/.exec(applicationUse)?.[1] ?? 0);
}

export function implantMediaCheck(file: string, supported: number): string {
  const fd = fs.openSync(file, 'r+');
  try {
    const pvd = Buffer.alloc(BLOCK);
    fs.readSync(fd, pvd, 0, BLOCK, 16 * BLOCK);
    const isoBytes = pvd.readUInt32BE(84) * BLOCK;
    fs.writeSync(fd, Buffer.alloc(512, ' '), 0, 512, APPDATA);
    const total = isoBytes - SKIP_BLOCKS * BLOCK;
    const fragmentSize = Math.floor(total / (FRAGMENTS + 1));
    const md5 = createHash('md5');
    let sums = '';
    let previous = 0;
    const buf = Buffer.alloc(PIECE);
    for (let offset = 0; offset < total;) {
      const n = fs.readSync(fd, buf, 0, Math.min(total - offset, PIECE), offset);
      if (n <= 0) break;
      md5.update(buf.subarray(0, n));
      const current = Math.floor(offset / fragmentSize);
      if (current !== previous) {
        const digest = md5.copy().digest();
        for (let i = 0; i < 3; i++) sums += digest[i]!.toString(16)[0];
        previous = current;
      }
      offset += n;
    }
    const sum = md5.digest('hex');
    const text = `ISO MD5SUM = ${sum};SKIPSECTORS = ${SKIP_BLOCKS};RHLISOSTATUS=${supported};FRAGMENT SUMS = ${sums};FRAGMENT COUNT = ${FRAGMENTS};THIS IS NOT THE SAME AS RUNNING MD5SUM ON THIS ISO!!`;
    const field = Buffer.alloc(512, ' ');
    field.write(text, 0, 'latin1');
    fs.writeSync(fd, field, 0, 512, APPDATA);
    return sum;
  } finally {
    fs.closeSync(fd);
  }
}
