/**
 * Typed activation codes (docs/activation.md §2): bytes in Crockford base32
 * (https://www.crockford.com/base32.html), cut into groups of 4 characters,
 * each followed by a check character computed with Damm's algorithm over
 * the quasigroup T(x, y) = 2·x ⊕ y of GF(32) (x⁵ + x² + 1). Damm's check
 * catches every single substitution and every adjacent transposition, so a
 * typo is reported by group number before anything is decoded.
 *
 * Written here rather than taken from a library: the box-side installer
 * decodes the same codes in POSIX awk, so the scheme must be small and
 * exactly specified; no package implements grouped Damm-over-GF(32) checks.
 */
import { AppError } from '../api/errors';

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const GROUP = 4;

export const CodeErrors = {
  CODE_EMPTY: 'CODE_EMPTY',
  CODE_BAD_CHARACTER: 'CODE_BAD_CHARACTER',
  CODE_GROUP_MISTYPED: 'CODE_GROUP_MISTYPED',
  CODE_WRONG_KIND: 'CODE_WRONG_KIND',
  CODE_WRONG_LENGTH: 'CODE_WRONG_LENGTH',
} as const;

/** Multiplication by α (= 2) in GF(32), polynomial x⁵ + x² + 1. */
const times2 = (x: number) => (x & 0x10 ? ((x << 1) ^ 0x25) & 0x1f : x << 1);
const damm = (i: number, d: number) => times2(i) ^ d;

function checkOf(values: number[]): number {
  let i = 0;
  for (const v of values) i = damm(i, v);
  return times2(i);
}

function groupValid(values: number[]): boolean {
  let i = 0;
  for (const v of values) i = damm(i, v);
  return i === 0;
}

function toBase32(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push((acc >> (bits - 5)) & 31);
      bits -= 5;
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

/** Bytes from 5-bit values; the padding bits must be zero. */
function fromBase32(values: number[]): Buffer | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const v of values) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >> (bits - 8)) & 0xff);
      bits -= 8;
      acc &= (1 << bits) - 1;
    }
  }
  if (bits >= 5 || acc !== 0) return null;
  return Buffer.from(out);
}

/** Bytes → "XXXXC-XXXXC-…" with a Damm check character per group. */
export function encodeCode(bytes: Uint8Array): string {
  const values = toBase32(bytes);
  const groups: string[] = [];
  for (let i = 0; i < values.length; i += GROUP) {
    const g = values.slice(i, i + GROUP);
    groups.push([...g, checkOf(g)].map((v) => ALPHABET[v]).join(''));
  }
  return groups.join('-');
}

function normalise(ch: string): number {
  const c = ch.toUpperCase();
  if (c === 'O') return 0;
  if (c === 'I' || c === 'L') return 1;
  return ALPHABET.indexOf(c);
}

/** What to call the code in messages. */
export interface CodeKindName {
  en: string;
  zh: string;
}

/**
 * Reads a typed, pasted or scanned code: separators and case do not matter;
 * a wrong character or a failed group check is reported by group number.
 */
export function decodeCode(text: string, kind: CodeKindName, field: string[] = ['code']): Buffer {
  const chars = [...text.replace(/[\s-]+/g, '')];
  if (chars.length === 0) throw new AppError(CodeErrors.CODE_EMPTY, { en: `Type the ${kind.en}.`, zh: `请输入${kind.zh}。` }, { field });
  const values: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const v = normalise(chars[i]!);
    if (v < 0) {
      const group = Math.floor(i / (GROUP + 1)) + 1;
      throw new AppError(
        CodeErrors.CODE_BAD_CHARACTER,
        {
          en: `Group ${group} of the ${kind.en} has "${chars[i]}", which is not a code character (0-9 and letters except I, L, O, U). Check group ${group}.`,
          zh: `${kind.zh}第 ${group} 组含有“${chars[i]}”，不是有效字符（0-9 及除 I、L、O、U 外的字母）。请检查第 ${group} 组。`,
        },
        { field },
      );
    }
    values.push(v);
  }
  if (values.length % (GROUP + 1) === 1) {
    const group = Math.ceil(values.length / (GROUP + 1));
    throw new AppError(
      CodeErrors.CODE_WRONG_LENGTH,
      {
        en: `The ${kind.en} ends with a lone character: group ${group} is incomplete, or a character was typed twice.`,
        zh: `${kind.zh}末尾多出一个字符：第 ${group} 组不完整，或有字符被重复输入。`,
      },
      { field },
    );
  }
  const data: number[] = [];
  for (let i = 0, group = 1; i < values.length; i += GROUP + 1, group++) {
    const g = values.slice(i, i + GROUP + 1);
    if (!groupValid(g)) {
      const shown = chars.slice(i, i + GROUP + 1).join('');
      throw new AppError(
        CodeErrors.CODE_GROUP_MISTYPED,
        {
          en: `Group ${group} (${shown}) of the ${kind.en} is mistyped. Compare it with the original and type it again.`,
          zh: `${kind.zh}第 ${group} 组（${shown}）输入有误。请对照原始代码重新输入该组。`,
        },
        { field },
      );
    }
    data.push(...g.slice(0, -1));
  }
  const bytes = fromBase32(data);
  if (!bytes)
    throw new AppError(
      CodeErrors.CODE_WRONG_LENGTH,
      {
        en: `The ${kind.en} has the wrong length: a group is missing or one too many. Type the whole code again.`,
        zh: `${kind.zh}长度不正确：缺少一组或多出一组。请重新输入完整代码。`,
      },
      { field },
    );
  return bytes;
}
