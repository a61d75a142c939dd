/**
 * Activation requests, certificates, delegations and replies: the byte and
 * text layouts of docs/activation.md §2–§4, which install.sh rebuilds and
 * checks with openssl. Any change here is a new format version.
 */
import { AppError } from '../api/errors';
import { decodeCode, encodeCode } from './codes';

export const CERT_FORMAT = 'edgeforge.activation/v1';
export const DELEGATION_FORMAT = 'edgeforge.delegation/v1';

export const RequestErrors = {
  REQUEST_INVALID: 'REQUEST_INVALID',
  REPLY_INVALID: 'REPLY_INVALID',
} as const;

const REQUEST_KIND = { en: 'request code', zh: '请求码' };
const REPLY_KIND = { en: 'reply code', zh: '回复码' };

/** What a box asks for (docs/activation.md §2, request code). */
export interface ActivationRequest {
  batch: string;
  nonce: string;
  /** Component prefixes, 8 hex digits each, in the box's order. */
  fingerprint: string[];
  machineId: string | null;
}

export interface Certificate {
  batch: string;
  seat: number;
  serial: string;
  fingerprint: string[];
  nonce: string;
  /** Unix seconds, a whole minute. */
  issued: number;
  /** The signing station's compressed public key (66 hex). */
  signer: string;
}

export interface Delegation {
  batch: string;
  first: number;
  last: number;
  /** Compressed public key of the delegate (66 hex). */
  delegate: string;
  issued: number;
  issuer: string;
}

export interface SignedDelegation {
  delegation: Delegation;
  /** r ‖ s */
  signature: Buffer;
}

export interface Reply {
  certificate: Certificate;
  signature: Buffer;
  delegation?: SignedDelegation;
}

const invalid = (code: string, en: string, zh: string, field = ['code']) => new AppError(code, { en, zh }, { field });

const batchBytes = (batch: string) => Buffer.from(batch.replace(/^bat_/, ''), 'hex');

export function encodeRequest(r: ActivationRequest): string {
  const n = r.fingerprint.length;
  const parts = [Buffer.from([0x01]), batchBytes(r.batch), Buffer.from(r.nonce, 'hex'), Buffer.from([n | (r.machineId ? 0x80 : 0)])];
  if (r.machineId) parts.push(Buffer.from(r.machineId, 'hex'));
  for (const f of r.fingerprint) parts.push(Buffer.from(f, 'hex'));
  return encodeCode(Buffer.concat(parts));
}

/** Reads a request from a code, a request file's text, or an "EDGEFORGE-REQUEST <code>" line. */
export function parseRequest(text: string): ActivationRequest {
  const line = /EDGEFORGE-REQUEST\s+([0-9A-Za-z-]+)/.exec(text);
  const code = line ? line[1]! : text.replace(/^#.*$/gm, '');
  const b = decodeCode(code, REQUEST_KIND, ['request']);
  if (b[0] === 0x02 || b[0] === 0x03)
    throw invalid(
      RequestErrors.REQUEST_INVALID,
      'This is a reply code (it goes to the box), not a request code.',
      '这是回复码（应输入到设备上），不是请求码。',
      ['request'],
    );
  if (b[0] !== 0x01)
    throw invalid(
      RequestErrors.REQUEST_INVALID,
      `This code is not an EdgeForge activation request (kind ${b[0]}); it may come from a newer version.`,
      `此代码不是 EdgeForge 激活请求（类型 ${b[0]}）；可能来自更新的版本。`,
      ['request'],
    );
  const n = (b[13] ?? 0) & 0x0f;
  const hasMid = ((b[13] ?? 0) & 0x80) !== 0;
  const want = 14 + (hasMid ? 4 : 0) + 4 * n;
  if (b.length !== want || n < 1 || n > 8)
    throw invalid(
      RequestErrors.REQUEST_INVALID,
      `The request code is ${b.length} bytes long but says it holds ${n} hardware components (${want} bytes): a group is missing or extra.`,
      `请求码长 ${b.length} 字节，但声明包含 ${n} 个硬件组件（应为 ${want} 字节）：缺少或多出一组。`,
      ['request'],
    );
  let o = 14;
  const machineId = hasMid ? b.subarray(o, (o += 4)).toString('hex') : null;
  const fingerprint: string[] = [];
  for (let i = 0; i < n; i++) fingerprint.push(b.subarray(o, (o += 4)).toString('hex'));
  return { batch: `bat_${b.subarray(1, 9).toString('hex')}`, nonce: b.subarray(9, 13).toString('hex'), fingerprint, machineId };
}

export function certificateText(c: Certificate): string {
  return [
    `format=${CERT_FORMAT}`,
    `batch=${c.batch}`,
    `seat=${c.seat}`,
    `serial=${c.serial}`,
    `fingerprint=${c.fingerprint.join(',')}`,
    `nonce=${c.nonce}`,
    `issued=${c.issued}`,
    `signer=${c.signer}`,
    '',
  ].join('\n');
}

export function delegationText(d: Delegation): string {
  return [
    `format=${DELEGATION_FORMAT}`,
    `batch=${d.batch}`,
    `seats=${d.first}-${d.last}`,
    `delegate=${d.delegate}`,
    `issued=${d.issued}`,
    `issuer=${d.issuer}`,
    '',
  ].join('\n');
}

function fields(text: string, what: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq < 1)
      throw invalid(RequestErrors.REPLY_INVALID, `${what}: the line "${line}" is not key=value.`, `${what}：行“${line}”不是 key=value 形式。`, ['file']);
    m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

export function parseCertificateText(text: string): Certificate {
  const f = fields(text, 'certificate');
  if (f.get('format') !== CERT_FORMAT)
    throw invalid(
      RequestErrors.REPLY_INVALID,
      `The certificate's format is ${f.get('format') ?? 'missing'}, not ${CERT_FORMAT}.`,
      `证书格式为 ${f.get('format') ?? '缺失'}，不是 ${CERT_FORMAT}。`,
      ['file'],
    );
  return {
    batch: f.get('batch') ?? '',
    seat: Number(f.get('seat')),
    serial: f.get('serial') ?? '',
    fingerprint: (f.get('fingerprint') ?? '').split(',').filter(Boolean),
    nonce: f.get('nonce') ?? '',
    issued: Number(f.get('issued')),
    signer: f.get('signer') ?? '',
  };
}

export function parseDelegationText(text: string): Delegation {
  const f = fields(text, 'delegation');
  const seats = /^(\d+)-(\d+)$/.exec(f.get('seats') ?? '');
  if (f.get('format') !== DELEGATION_FORMAT || !seats)
    throw invalid(
      RequestErrors.REPLY_INVALID,
      'This is not an EdgeForge delegation (edgeforge.delegation/v1).',
      '这不是 EdgeForge 委派（edgeforge.delegation/v1）。',
      ['file'],
    );
  return {
    batch: f.get('batch') ?? '',
    first: Number(seats[1]),
    last: Number(seats[2]),
    delegate: f.get('delegate') ?? '',
    issued: Number(f.get('issued')),
    issuer: f.get('issuer') ?? '',
  };
}

const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** The reply code of docs/activation.md §2; the box rebuilds the rest from its request. */
export function encodeReply(r: Reply): string {
  const parts = [Buffer.from([r.delegation ? 0x03 : 0x02]), u24(r.certificate.seat), u32(r.certificate.issued / 60), r.signature];
  if (r.delegation) {
    const d = r.delegation.delegation;
    parts.push(Buffer.from(d.delegate, 'hex'), u24(d.first), u24(d.last), u32(d.issued / 60), r.delegation.signature);
  }
  return encodeCode(Buffer.concat(parts));
}

/** The parts of a reply code (the box's side, used by tests and by `activate --check`). */
export function decodeReply(text: string): {
  seat: number;
  issued: number;
  signature: Buffer;
  delegation?: { delegate: string; first: number; last: number; issued: number; signature: Buffer };
} {
  const b = decodeCode(text, REPLY_KIND, ['reply']);
  const kind = b[0];
  if (!((kind === 0x02 && b.length === 72) || (kind === 0x03 && b.length === 179)))
    throw invalid(RequestErrors.REPLY_INVALID, 'This is not an EdgeForge reply code of the right length.', '这不是长度正确的 EdgeForge 回复码。', ['reply']);
  const seat = b.readUIntBE(1, 3);
  const out = { seat, issued: b.readUInt32BE(4) * 60, signature: b.subarray(8, 72) };
  if (kind === 0x02) return out;
  return {
    ...out,
    delegation: {
      delegate: b.subarray(72, 105).toString('hex'),
      first: b.readUIntBE(105, 3),
      last: b.readUIntBE(108, 3),
      issued: b.readUInt32BE(111) * 60,
      signature: b.subarray(115, 179),
    },
  };
}

/** r ‖ s → DER SEQUENCE { INTEGER r, INTEGER s } (what openssl dgst -verify reads). */
export function compactToDer(sig: Uint8Array): Buffer {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, 32)), int(sig.subarray(32, 64))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** One armoured block of a reply, delegation or return file (docs/activation.md §4). */
export const armour = (label: string, body: string) =>
  `-----BEGIN EDGEFORGE ${label}-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END EDGEFORGE ${label}-----\n`;
/** Base64 in lines of 64, as in PEM. */
export const base64Lines = (b: Buffer) => (b.toString('base64').match(/.{1,64}/g) ?? []).join('\n') + '\n';

/** The reply file (docs/activation.md §4): certificate, DER signatures, delegation, and the code. */
export function replyFile(r: Reply): string {
  const c = r.certificate;
  let out = `# EdgeForge activation — box ${c.serial}, batch ${c.batch}, seat ${c.seat}\n# On the box: sh install.sh activate <this file>\n`;
  out += armour('ACTIVATION', certificateText(c));
  out += armour('ACTIVATION SIGNATURE', base64Lines(compactToDer(r.signature)));
  if (r.delegation) {
    out += armour('DELEGATION', delegationText(r.delegation.delegation));
    out += armour('DELEGATION SIGNATURE', base64Lines(compactToDer(r.delegation.signature)));
  }
  return out + `code=${encodeReply(r)}\n`;
}

/** The armoured blocks of a reply, delegation or return file. */
export function armouredBlocks(text: string): { label: string; body: string }[] {
  const out: { label: string; body: string }[] = [];
  const re = /^-----BEGIN EDGEFORGE ([A-Z ]+)-----\r?\n([\s\S]*?)^-----END EDGEFORGE \1-----\r?$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1]!, body: m[2]!.replace(/\r\n/g, '\n') });
  return out;
}
