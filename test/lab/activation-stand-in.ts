/**
 * A TEST STAND-IN for the station side of activation, written from
 * docs/activation.md (edgeforge.activation/v1) for the box-side installer's
 * lab tests (installer.test.ts). It is NOT the product's station code (that is
 * main/licensing, written separately) and imports nothing from main/: the two
 * are meant to be cross-checked against each other and the contract.
 *
 * It reads request codes and makes reply codes and reply files, direct (from
 * the batch's issuer) and delegated (from a station the issuer delegated a
 * seat range to), with node:crypto only. Its options can also make replies the
 * box must refuse (another batch, nonce or fingerprint, an untrusted signer, a
 * delegation not signed by the issuer, a seat outside the delegated range).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CERT_FORMAT = 'edgeforge.activation/v1';
export const DELEG_FORMAT = 'edgeforge.delegation/v1';
export const CERT_DOMAIN = 'edgeforge.activation.certificate.v1';
export const DELEG_DOMAIN = 'edgeforge.delegation.v1';

/** A station's ECDSA P-256 key pair (the shape of installer-bundle.ts's StationKey). */
export interface StationKeyPair {
  privateKey: KeyObject;
  publicKeyPem: string;
}

// ---------------------------------------------------------------------------
// Typed codes (docs/activation.md §2)

/** 2·x in GF(2⁵) with x⁵ + x² + 1. */
const times2 = (x: number): number => {
  const y = x << 1;
  return y & 0x20 ? y ^ 0x25 : y;
};

/** Damm's algorithm over T(x, y) = 2·x ⊕ y: the interim digit after `values`. */
export function dammInterim(values: number[]): number {
  let i = 0;
  for (const d of values) i = times2(i) ^ d;
  return i;
}

/** The check character's value for a group's values. */
export const checkValue = (values: number[]): number => times2(dammInterim(values));

/** Bytes → Crockford base32 in groups of 4, each followed by its check character, joined with '-'. */
export function encodeCode(bytes: Buffer): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  while (bits.length % 5) bits += '0';
  const values: number[] = [];
  for (let k = 0; k < bits.length; k += 5) values.push(parseInt(bits.slice(k, k + 5), 2));
  const groups: string[] = [];
  for (let k = 0; k < values.length; k += 4) {
    const g = values.slice(k, k + 4);
    groups.push([...g, checkValue(g)].map((v) => CROCKFORD[v]).join(''));
  }
  return groups.join('-');
}

export class CodeError extends Error {
  constructor(
    message: string,
    /** 1-based number of the mistyped group, when it is one. */
    readonly group?: number,
  ) {
    super(message);
  }
}

/** A typed code → bytes. Lower case, O → 0, I/L → 1; spaces and '-' ignored. Throws CodeError naming the mistyped group. */
export function decodeCode(code: string): Buffer {
  const s = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const data: number[] = [];
  for (let k = 0, g = 1; k < s.length; k += 5, g++) {
    const chars = s.slice(k, k + 5);
    const values = [...chars].map((c) => CROCKFORD.indexOf(c));
    if (values.some((v) => v < 0) || values.length < 2 || dammInterim(values) !== 0) throw new CodeError(`group ${g} is mistyped`, g);
    data.push(...values.slice(0, -1));
  }
  const bits = data.map((v) => v.toString(2).padStart(5, '0')).join('');
  const out = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

// ---------------------------------------------------------------------------
// Requests

export interface ActivationRequest {
  batchId: string;
  /** 8 hex digits. */
  nonce: string;
  /** Component prefixes (8 hex digits each), in the box's order. */
  prefixes: string[];
  machineIdPrefix: string | null;
}

/** Parses a request code (or a text holding an `EDGEFORGE-REQUEST <code>` line). */
export function parseRequestCode(text: string): ActivationRequest {
  const line = /^EDGEFORGE-REQUEST (\S+)\s*$/m.exec(text);
  const b = decodeCode(line ? line[1]! : text);
  if (b[0] !== 0x01) throw new CodeError(`not a request code (type 0x${(b[0] ?? 0).toString(16)})`);
  const count = b[13]!;
  const n = count & 0x7f;
  const hasMid = (count & 0x80) !== 0;
  let at = 14;
  let machineIdPrefix: string | null = null;
  if (hasMid) {
    machineIdPrefix = b.subarray(at, at + 4).toString('hex');
    at += 4;
  }
  if (n < 1 || n > 8 || b.length !== at + 4 * n) throw new CodeError(`request code of ${b.length} bytes does not hold ${n} components`);
  const prefixes: string[] = [];
  for (let i = 0; i < n; i++) prefixes.push(b.subarray(at + 4 * i, at + 4 * i + 4).toString('hex'));
  return { batchId: `bat_${b.subarray(1, 9).toString('hex')}`, nonce: b.subarray(9, 13).toString('hex'), prefixes, machineIdPrefix };
}

/** The request code a box would print (for tests that need a request the box did not make). */
export function requestCode(r: ActivationRequest): string {
  const head = Buffer.from([0x01]);
  const count = Buffer.from([r.prefixes.length | (r.machineIdPrefix ? 0x80 : 0)]);
  return encodeCode(
    Buffer.concat([
      head,
      Buffer.from(r.batchId.replace(/^bat_/, ''), 'hex'),
      Buffer.from(r.nonce, 'hex'),
      count,
      r.machineIdPrefix ? Buffer.from(r.machineIdPrefix, 'hex') : Buffer.alloc(0),
      ...r.prefixes.map((p) => Buffer.from(p, 'hex')),
    ]),
  );
}

// ---------------------------------------------------------------------------
// Keys and signatures

/** The compressed SEC1 point of a P-256 public key, 66 lower-case hex digits. */
export function compressedPublicKey(publicKeyPem: string): string {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([Buffer.from([y[y.length - 1]! & 1 ? 0x03 : 0x02]), x]).toString('hex');
}

/** ECDSA P-256 / SHA-256 over "<domain>\n<text>", as r ‖ s (64 bytes). */
export function signRS(key: StationKeyPair, domain: string, text: string): Buffer {
  return sign('sha256', Buffer.from(`${domain}\n${text}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
}

/** r ‖ s → DER SEQUENCE { INTEGER r, INTEGER s } (minimal positive integers). */
export function derOfRS(rs: Buffer): Buffer {
  const int = (v: Buffer) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    let b = v.subarray(i);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(rs.subarray(0, 32)), int(rs.subarray(32, 64))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

// ---------------------------------------------------------------------------
// Certificates, delegations, replies (docs/activation.md §2–4)

export interface CertificateFields {
  batch: string;
  seat: number;
  serial: string;
  fingerprint: string[];
  nonce: string;
  /** Unix seconds, a whole minute. */
  issued: number;
  /** Compressed public key of the signing station, 66 hex. */
  signer: string;
}

export interface DelegationFields {
  batch: string;
  first: number;
  last: number;
  delegate: string;
  issued: number;
  issuer: string;
}

export const certificateText = (c: CertificateFields): string =>
  `format=${CERT_FORMAT}\nbatch=${c.batch}\nseat=${c.seat}\nserial=${c.serial}\nfingerprint=${c.fingerprint.join(',')}\nnonce=${c.nonce}\nissued=${c.issued}\nsigner=${c.signer}\n`;

export const delegationText = (d: DelegationFields): string =>
  `format=${DELEG_FORMAT}\nbatch=${d.batch}\nseats=${d.first}-${d.last}\ndelegate=${d.delegate}\nissued=${d.issued}\nissuer=${d.issuer}\n`;

export const serialOf = (scheme: { prefix: string; digits: number }, seat: number): string => `${scheme.prefix}${String(seat).padStart(scheme.digits, '0')}`;

export interface ReplyOptions {
  request: ActivationRequest;
  /** The batch's issuer: the key of the bundle's station.pub.pem. */
  issuer: StationKeyPair;
  seat: number;
  serial: { prefix: string; digits: number };
  /** Default: now, rounded down to the minute. */
  issuedAt?: Date;
  /** A reply from a delegate: its key, the delegated seats, and who signs the delegation (default: the issuer). */
  delegation?: { delegate: StationKeyPair; first: number; last: number; issuedAt?: Date; signedBy?: StationKeyPair; issuer?: string };
  /** Fields of the certificate to change (for replies the box must refuse). */
  certificate?: Partial<CertificateFields>;
  /** Who signs the certificate; default the delegate, else the issuer. */
  signedBy?: StationKeyPair;
}

export interface Reply {
  /** The reply code, groups joined with '-'. */
  code: string;
  /** The reply file (docs/activation.md §4). */
  file: string;
  certificate: string;
  /** DER. */
  certificateSig: Buffer;
  delegation?: string;
  delegationSig?: Buffer;
}

const minutes = (d: Date) => Math.floor(d.getTime() / 60_000);

const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const armour = (label: string, body: string) => `-----BEGIN EDGEFORGE ${label}-----\n${body}-----END EDGEFORGE ${label}-----\n`;
const b64Lines = (b: Buffer) => `${(b.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n`;

/** A station's reply to a request: the certificate (and delegation), signed, as a code and as a reply file. */
export function makeReply(o: ReplyOptions): Reply {
  const issuerPoint = compressedPublicKey(o.issuer.publicKeyPem);
  const certMinutes = minutes(o.issuedAt ?? new Date());
  const d = o.delegation;
  const fields: CertificateFields = {
    batch: o.request.batchId,
    seat: o.seat,
    serial: serialOf(o.serial, o.seat),
    fingerprint: o.request.prefixes,
    nonce: o.request.nonce,
    issued: certMinutes * 60,
    signer: d ? compressedPublicKey(d.delegate.publicKeyPem) : issuerPoint,
    ...o.certificate,
  };
  const certificate = certificateText(fields);
  const certSigner = o.signedBy ?? d?.delegate ?? o.issuer;
  const certRS = signRS(certSigner, CERT_DOMAIN, certificate);
  const certificateSig = derOfRS(certRS);
  if (!verify('sha256', Buffer.from(`${CERT_DOMAIN}\n${certificate}`), certSigner.publicKeyPem, certificateSig))
    throw new Error('stand-in: own DER does not verify');

  let code: Buffer = Buffer.concat([Buffer.from([d ? 0x03 : 0x02]), u24(o.seat), u32(certMinutes), certRS]);
  let delegation: string | undefined;
  let delegationSig: Buffer | undefined;
  if (d) {
    const delegMinutes = minutes(d.issuedAt ?? new Date(Date.now() - 3_600_000));
    const delegatePoint = compressedPublicKey(d.delegate.publicKeyPem);
    delegation = delegationText({
      batch: fields.batch,
      first: d.first,
      last: d.last,
      delegate: delegatePoint,
      issued: delegMinutes * 60,
      issuer: d.issuer ?? issuerPoint,
    });
    const delegRS = signRS(d.signedBy ?? o.issuer, DELEG_DOMAIN, delegation);
    delegationSig = derOfRS(delegRS);
    code = Buffer.concat([code, Buffer.from(delegatePoint, 'hex'), u24(d.first), u24(d.last), u32(delegMinutes), delegRS]);
  }
  const codeText = encodeCode(code);
  const file =
    `# EdgeForge activation — box ${fields.serial}, batch ${fields.batch}, seat ${fields.seat}\n` +
    `# On the box: sh install.sh activate <this file>\n` +
    armour('ACTIVATION', certificate) +
    armour('ACTIVATION SIGNATURE', b64Lines(certificateSig)) +
    (delegation && delegationSig ? armour('DELEGATION', delegation) + armour('DELEGATION SIGNATURE', b64Lines(delegationSig)) : '') +
    `code=${codeText}\n`;
  return { code: codeText, file, certificate, certificateSig, ...(delegation && delegationSig ? { delegation, delegationSig } : {}) };
}
