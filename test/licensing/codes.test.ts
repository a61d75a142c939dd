import { describe, expect, it } from 'vitest';
import { ALPHABET, decodeCode, encodeCode } from '../../main/licensing/codes';
import { decodeReply, encodeRequest, parseRequest } from '../../main/licensing';

const KIND = { en: 'reply code', zh: '回复码' };

/** A real request code, as a box with four components and a machine-id prints it. */
const request = {
  batch: 'bat_0123456789abcdef',
  nonce: '0a1b2c3d',
  fingerprint: ['1a2b3c4d', '5e6f7081', '9a0b1c2d', '3e4f5a6b'],
  machineId: 'deadbeef',
};

function mistakes(code: string): { kind: string; text: string; at: number }[] {
  const chars = [...code.replace(/-/g, '')];
  const out: { kind: string; text: string; at: number }[] = [];
  for (let i = 0; i < chars.length; i++) {
    for (const c of ALPHABET) {
      if (c === chars[i]) continue;
      const t = [...chars];
      t[i] = c;
      out.push({ kind: 'substitution', text: t.join(''), at: i });
    }
    if (i + 1 < chars.length && chars[i] !== chars[i + 1]) {
      const t = [...chars];
      [t[i], t[i + 1]] = [t[i + 1]!, t[i]!];
      out.push({ kind: 'transposition', text: t.join(''), at: i });
    }
  }
  return out;
}

describe('typed codes (Crockford base32, Damm check per group of 4)', () => {
  it('round-trips bytes of every length, ignoring case, dashes and spaces, reading O as 0 and I/L as 1', () => {
    for (let n = 1; n <= 80; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      const code = encodeCode(bytes);
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{2,5}(-[0-9A-HJKMNP-TV-Z]{2,5})*$/);
      expect(decodeCode(code, KIND).equals(bytes)).toBe(true);
      expect(decodeCode(code.toLowerCase().replace(/-/g, ' '), KIND).equals(bytes)).toBe(true);
    }
    const zeros = encodeCode(Buffer.alloc(10));
    expect(decodeCode(zeros.replace(/0/g, 'O'), KIND).equals(Buffer.alloc(10))).toBe(true);
  });

  it('a request code carries batch, nonce, prefixes and machine id, and is 14 groups long for four components', () => {
    const code = encodeRequest(request);
    expect(code.split('-')).toHaveLength(14);
    expect(parseRequest(code)).toEqual(request);
    expect(parseRequest(`# a request file\nEDGEFORGE-REQUEST ${code}\n`)).toEqual(request);
    expect(parseRequest(encodeRequest({ ...request, machineId: null }))).toEqual({ ...request, machineId: null });
  });

  it('refuses every single-character substitution and every adjacent transposition of a real request code, naming the group', () => {
    const code = encodeRequest(request);
    const all = mistakes(code);
    expect(all.length).toBeGreaterThan(31 * 60);
    let subs = 0;
    let swaps = 0;
    for (const m of all) {
      let err: unknown = null;
      try {
        parseRequest(m.text);
      } catch (e) {
        err = e;
      }
      expect(err, `${m.kind} at ${m.at}: ${m.text}`).toMatchObject({ code: expect.stringMatching(/^CODE_/) });
      const group = Math.floor(m.at / 5) + 1;
      // A swap across a group boundary may be caught in either of the two groups.
      const named = (err as Error).message.match(/Group (\d+)/);
      expect(named, (err as Error).message).not.toBeNull();
      expect([group, group + 1]).toContain(Number(named![1]));
      if (m.kind === 'substitution') subs++;
      else swaps++;
    }
    expect(subs).toBe(31 * code.replace(/-/g, '').length);
    expect(swaps).toBeGreaterThan(40);
  });

  it('refuses every single-character substitution and adjacent transposition of a real reply code', () => {
    const signature = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 91 + 7) & 0xff));
    const bytes = Buffer.concat([Buffer.from([0x02, 0, 0, 7]), Buffer.from([0x01, 0xab, 0xcd, 0xef]), signature]);
    const code = encodeCode(bytes);
    expect(decodeReply(code)).toMatchObject({ seat: 7, issued: 0x01abcdef * 60 });
    for (const m of mistakes(code)) expect(() => decodeReply(m.text), `${m.kind} at ${m.at}`).toThrow(/Group \d+/);
  });

  it('names a bad character, a lone trailing character and a reply typed where a request belongs', () => {
    const code = encodeRequest(request);
    expect(() => parseRequest(code.replace(/^(.{6})./, '$1U'))).toThrow(/Group 2 .*"U"/);
    expect(() => parseRequest(code + '7')).toThrow(/Group 14 .* mistyped/);
    expect(() => decodeCode(encodeCode(Buffer.alloc(5)) + '-7', KIND)).toThrow(/lone character: group 3/);
    const reply = encodeCode(Buffer.concat([Buffer.from([0x02, 0, 0, 1, 0, 0, 0, 1]), Buffer.alloc(64, 9)]));
    expect(() => parseRequest(reply)).toThrow(/reply code/);
    expect(() => parseRequest('')).toThrow(/Type the request code/);
    // Whole groups missing: the check characters pass, the length does not.
    expect(() => parseRequest(code.split('-').slice(0, 12).join('-'))).toThrow(/hardware components/);
  });
});
