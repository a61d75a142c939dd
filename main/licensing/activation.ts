/**
 * Activation: turns a box's request into a signed certificate that spends one
 * seat of its batch (docs/activation.md), delegates seat ranges to other
 * stations and takes them back, and writes the signed production report.
 *
 * The seat is reserved first, the certificate signed for exactly that seat
 * and box, then the reservation spent; the reply leaves the station only
 * after the spend has committed, so a reply in a person's hands always
 * matches a spent seat in the ledger.
 */
import { createHash } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { AppError } from '../api/errors';
import {
  armour,
  armouredBlocks,
  base64Lines,
  certificateText,
  compactToDer,
  delegationText,
  encodeReply,
  parseCertificateText,
  parseDelegationText,
  parseRequest,
  replyFile,
  type ActivationRequest,
  type Certificate,
  type Reply,
} from './certificate';
import { compressedPublicKey, keyFingerprint, parsePublicKey, publicKeyFromHex, StationKeys } from './keys';
import { fingerprintId, serialOf, type DelegationRow, type Reservation, type SeatLedger, type SeatState } from './ledger';

export const ActivationErrors = {
  ACTIVATION_SIGNER_MISSING: 'ACTIVATION_SIGNER_MISSING',
  DELEGATION_FILE_INVALID: 'DELEGATION_FILE_INVALID',
  DELEGATION_NOT_FOR_THIS_STATION: 'DELEGATION_NOT_FOR_THIS_STATION',
  DELEGATION_OWN_BATCH: 'DELEGATION_OWN_BATCH',
} as const;

export interface Activation {
  batchId: string;
  seat: number;
  serial: string;
  reactivation: boolean;
  cloneOf: number | null;
  fingerprintId: string;
  certificate: string;
  /** The typed form of the reply (docs/activation.md §2). */
  code: string;
  /** The reply file's text (§4). */
  file: string;
  fileName: string;
}

export interface OwnBatch {
  id: string;
  label: string;
  quantity: number;
  serialPrefix: string;
  serialDigits: number;
  license: string;
  keyId: string;
}

const derToCompact = (der: Buffer) => Buffer.from(p256.Signature.fromBytes(der, 'der').toBytes('compact'));
const minuteNow = (d: Date) => Math.floor(d.getTime() / 60000) * 60;
const delegationId = (text: string) => `dlg_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;

function fileInvalid(en: string, zh: string): AppError {
  return new AppError(ActivationErrors.DELEGATION_FILE_INVALID, { en, zh }, { field: ['file'] });
}

export class ActivationService {
  constructor(
    readonly ledger: SeatLedger,
    private readonly keys: StationKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records a batch this station created (idempotent). */
  registerOwn(b: OwnBatch): void {
    if (this.ledger.has(b.id)) return;
    const issuer = this.keys.get(b.keyId);
    this.ledger.register({
      id: b.id,
      origin: 'own',
      label: b.label,
      quantity: b.quantity,
      serialPrefix: b.serialPrefix,
      serialDigits: b.serialDigits,
      issuerHex: issuer.publicKeyHex,
      license: b.license,
    });
  }

  /** Reserve → sign → spend, for one request. */
  activate(requestText: string, opts: { allowClone?: boolean; holder?: string } = {}): Activation {
    const request = parseRequest(requestText);
    const reservation = this.reserve(request, opts);
    try {
      return this.complete(reservation, request);
    } catch (e) {
      this.ledger.release(reservation, `the certificate could not be issued: ${(e as Error).message}`);
      throw e;
    }
  }

  reserve(request: ActivationRequest, opts: { allowClone?: boolean; holder?: string; ttlMs?: number } = {}): Reservation {
    return this.ledger.reserve(request.batch, { fingerprint: request.fingerprint, machineId: request.machineId }, opts);
  }

  /** Signs the certificate for a reservation and spends it. */
  complete(r: Reservation, request: ActivationRequest): Activation {
    const b = this.ledger.batch(r.batchId);
    const seatRow = this.ledger.seat(r.batchId, r.seat);
    let grant: DelegationRow | null = null;
    if (b.origin === 'delegated') grant = seatRow?.delegation ? this.ledger.delegation(seatRow.delegation) : null;
    const signerHex = grant ? grant.delegateHex : b.issuerHex;
    const signer = this.keys.byPublicHex(signerHex);
    if (!signer)
      throw new AppError(ActivationErrors.ACTIVATION_SIGNER_MISSING, {
        en: `This station no longer holds the key that may sign for batch ${b.id} (${signerHex.slice(0, 16)}…). Import that key's backup in Settings › Station key.`,
        zh: `本工作站已不再持有可为批次 ${b.id} 签名的密钥（${signerHex.slice(0, 16)}…）。请在“设置 › 工作站密钥”中导入该密钥的备份。`,
      });
    const cert: Certificate = {
      batch: b.id,
      seat: r.seat,
      serial: serialOf(b.serialPrefix, b.serialDigits, r.seat),
      fingerprint: request.fingerprint,
      nonce: request.nonce,
      issued: minuteNow(this.now()),
      signer: signerHex,
    };
    const text = certificateText(cert);
    const signature = this.keys.signCompact('edgeforge.activation.certificate.v1', Buffer.from(text), signer.id);
    const reply: Reply = { certificate: cert, signature };
    if (grant) reply.delegation = { delegation: parseDelegationText(grant.text), signature: grant.signature };
    this.ledger.spend(r, text, signature);
    return {
      batchId: b.id,
      seat: r.seat,
      serial: cert.serial,
      reactivation: r.reactivation,
      cloneOf: r.cloneOf,
      fingerprintId: fingerprintId(request.fingerprint),
      certificate: text,
      code: encodeReply(reply),
      file: replyFile(reply),
      fileName: `activation-${cert.serial}.txt`,
    };
  }

  // -- delegation -------------------------------------------------------------

  /** Delegates seats first..last of an own batch to another station's public key; returns the file to hand over. */
  delegate(batchId: string, first: number, last: number, publicKeyText: string): { id: string; file: string; fileName: string } {
    const b = this.ledger.batch(batchId);
    const to = parsePublicKey(publicKeyText, ['to']);
    if (this.keys.byPublicHex(to.hex))
      throw new AppError(
        ActivationErrors.DELEGATION_OWN_BATCH,
        { en: 'That is this station’s own key: delegate to another station.', zh: '这是本工作站自己的密钥：请委派给其他工作站。' },
        { field: ['to'] },
      );
    const issuer = this.keys.byPublicHex(b.issuerHex);
    if (!issuer || b.origin !== 'own')
      throw new AppError(ActivationErrors.ACTIVATION_SIGNER_MISSING, {
        en: 'Only the station that created the batch, holding its key, can delegate its seats.',
        zh: '只有创建该批次且持有其密钥的工作站才能委派其席位。',
      });
    const text = delegationText({ batch: b.id, first, last, delegate: to.hex, issued: minuteNow(this.now()), issuer: b.issuerHex });
    const der = this.keys.sign('edgeforge.delegation.v1', Buffer.from(text), issuer.id);
    const id = delegationId(text);
    this.ledger.delegateRange(batchId, first, last, { id, delegateHex: to.hex, text, signature: derToCompact(der) });
    const licenseSig = this.keys.sign('edgeforge.batch.license.v1', Buffer.from(b.license), issuer.id);
    const file =
      `# EdgeForge delegation — batch ${b.id} (${b.label}), seats ${first}-${last}, to station ${keyFingerprint(to.pem)}\n` +
      `# Import it on that station: Activation › Delegations › Import, or: edgeforge delegate import <this file>\n` +
      armour('DELEGATION', text) +
      armour('DELEGATION SIGNATURE', base64Lines(der)) +
      armour('BATCH LICENSE', b.license) +
      armour('BATCH LICENSE SIGNATURE', base64Lines(licenseSig));
    return { id, file, fileName: `delegation-${b.id}-${first}-${last}.txt` };
  }

  /** Delegate side: checks a delegation file and takes its seats. */
  importDelegation(fileText: string): DelegationRow {
    const blocks = armouredBlocks(fileText);
    const get = (label: string) => blocks.find((x) => x.label === label)?.body;
    const text = get('DELEGATION');
    const sig = get('DELEGATION SIGNATURE');
    const license = get('BATCH LICENSE');
    const licenseSig = get('BATCH LICENSE SIGNATURE');
    if (!text || !sig || !license || !licenseSig)
      throw fileInvalid(
        'This is not an EdgeForge delegation file (it lacks the delegation, its signature, or the batch license).',
        '这不是 EdgeForge 委派文件（缺少委派内容、其签名或批次许可证）。',
      );
    const d = parseDelegationText(text);
    const issuerPem = publicKeyFromHex(d.issuer, ['file']);
    const der = Buffer.from(sig.replace(/\s+/g, ''), 'base64');
    if (!StationKeys.verify(issuerPem, 'edgeforge.delegation.v1', Buffer.from(text), der))
      throw fileInvalid(
        'The delegation’s signature does not verify with its issuer’s key: the file was changed.',
        '委派签名无法用其签发者密钥验证：文件已被修改。',
      );
    if (!StationKeys.verify(issuerPem, 'edgeforge.batch.license.v1', Buffer.from(license), Buffer.from(licenseSig.replace(/\s+/g, ''), 'base64')))
      throw fileInvalid('The batch license in the file is not signed by the delegation’s issuer.', '文件中的批次许可证并非由委派签发者签名。');
    const lic = JSON.parse(license) as { batch: string; quantity: number; serial: { prefix: string; digits: number }; combo: { name: string } };
    if (lic.batch !== d.batch || d.first < 1 || d.last > lic.quantity || d.first > d.last)
      throw fileInvalid('The delegation’s batch or seat range does not agree with its batch license.', '委派的批次或席位范围与其批次许可证不一致。');
    const mine = this.keys.byPublicHex(d.delegate);
    if (!mine)
      throw new AppError(
        ActivationErrors.DELEGATION_NOT_FOR_THIS_STATION,
        {
          en: `This delegation is for another station (key ${d.delegate.slice(0, 16)}…), not this one (${this.keys.current().publicKeyHex.slice(0, 16)}…).`,
          zh: `该委派面向其他工作站（密钥 ${d.delegate.slice(0, 16)}…），而非本工作站（${this.keys.current().publicKeyHex.slice(0, 16)}…）。`,
        },
        { field: ['file'] },
      );
    const id = delegationId(text);
    const existing = this.ledger.delegation(id);
    if (existing) return existing;
    if (this.ledger.has(d.batch) && this.ledger.batch(d.batch).origin === 'own')
      throw new AppError(
        ActivationErrors.DELEGATION_OWN_BATCH,
        { en: 'This station created that batch itself.', zh: '该批次由本工作站自己创建。' },
        { field: ['file'] },
      );
    this.ledger.register(
      {
        id: d.batch,
        origin: 'delegated',
        label: lic.combo.name,
        quantity: lic.quantity,
        serialPrefix: lic.serial.prefix,
        serialDigits: lic.serial.digits,
        issuerHex: d.issuer,
        license,
      },
      d.first,
      d.last,
      { id, delegateHex: d.delegate, text, signature: derToCompact(der) },
    );
    return this.ledger.delegation(id)!;
  }

  /** Delegate side: returns unused seats; the file tells the issuer which seats were spent, with their certificates. */
  returnDelegation(id: string): { file: string; fileName: string; returned: number; spent: number } {
    const g = this.ledger.delegation(id);
    if (!g)
      throw new AppError(ActivationErrors.DELEGATION_FILE_INVALID, { en: 'There is no such delegation here.', zh: '本工作站没有该委派。' }, { field: ['id'] });
    const key = this.keys.byPublicHex(g.delegateHex);
    if (!key)
      throw new AppError(ActivationErrors.ACTIVATION_SIGNER_MISSING, {
        en: 'This station no longer holds the delegated key.',
        zh: '本工作站已不再持有被委派的密钥。',
      });
    const { returned, spent } = this.ledger.returnGrant(id);
    const text =
      [
        'format=edgeforge.delegation-return/v1',
        `delegation=${id}`,
        `batch=${g.batchId}`,
        `returned=${returned.join(',')}`,
        `spent=${spent.map((s) => s.seat).join(',')}`,
        `issued=${minuteNow(this.now())}`,
        `delegate=${g.delegateHex}`,
      ].join('\n') + '\n';
    const sig = this.keys.sign('edgeforge.delegation.return.v1', Buffer.from(text), key.id);
    let file =
      `# EdgeForge delegation return — batch ${g.batchId}, ${returned.length} seats returned, ${spent.length} spent\n` +
      `# Import it on the issuing station: Activation › Delegations › Import return, or: edgeforge delegate import <this file>\n` +
      armour('DELEGATION RETURN', text) +
      armour('DELEGATION RETURN SIGNATURE', base64Lines(sig));
    for (const s of spent) file += armour('ACTIVATION', s.certificate) + armour('ACTIVATION SIGNATURE', base64Lines(compactToDer(s.signature)));
    return { file, fileName: `delegation-return-${g.batchId}-${g.first}-${g.last}.txt`, returned: returned.length, spent: spent.length };
  }

  /** Issuer side: applies a return file. */
  importReturn(fileText: string): { delegation: string; freed: number; spent: number } {
    const blocks = armouredBlocks(fileText);
    const text = blocks.find((b) => b.label === 'DELEGATION RETURN')?.body;
    const sig = blocks.find((b) => b.label === 'DELEGATION RETURN SIGNATURE')?.body;
    if (!text || !sig) throw fileInvalid('This is not an EdgeForge delegation return file.', '这不是 EdgeForge 委派归还文件。');
    const f = new Map(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    const d = this.ledger.delegation(f.get('delegation') ?? '');
    if (!d || d.direction !== 'sent')
      throw fileInvalid('This return is for a delegation this station did not make.', '该归还文件对应的委派并非由本工作站创建。');
    if (
      !StationKeys.verify(
        publicKeyFromHex(d.delegateHex, ['file']),
        'edgeforge.delegation.return.v1',
        Buffer.from(text),
        Buffer.from(sig.replace(/\s+/g, ''), 'base64'),
      )
    )
      throw fileInvalid('The return is not signed by the station the seats were delegated to.', '该归还文件并非由被委派的工作站签名。');
    const nums = (v: string | undefined) => (v ? v.split(',').filter(Boolean).map(Number) : []);
    const spentSeats = new Set(nums(f.get('spent')));
    const spent: { seat: number; fingerprint: string[]; certificate: string; signature: Buffer }[] = [];
    for (let i = 0; i < blocks.length; i++) {
      if (blocks[i]!.label !== 'ACTIVATION') continue;
      const certText = blocks[i]!.body;
      const cert = parseCertificateText(certText);
      const der = Buffer.from((blocks[i + 1]?.body ?? '').replace(/\s+/g, ''), 'base64');
      if (
        cert.batch !== d.batchId ||
        cert.signer !== d.delegateHex ||
        !StationKeys.verify(publicKeyFromHex(d.delegateHex), 'edgeforge.activation.certificate.v1', Buffer.from(certText), der)
      )
        throw fileInvalid(`The certificate for seat ${cert.seat} in the return does not verify.`, `归还文件中席位 ${cert.seat} 的证书无法验证。`);
      if (spentSeats.has(cert.seat)) spent.push({ seat: cert.seat, fingerprint: cert.fingerprint, certificate: certText, signature: derToCompact(der) });
    }
    const r = this.ledger.acceptReturn(d.id, nums(f.get('returned')), spent);
    return { delegation: d.id, ...r };
  }

  /** The public key other stations delegate to (PEM and the 66-hex form). */
  stationPublicKey(): { pem: string; hex: string; fingerprint: string } {
    const k = this.keys.current();
    return { pem: k.publicKeyPem, hex: compressedPublicKey(k.publicKeyPem), fingerprint: keyFingerprint(k.publicKeyPem) };
  }

  // -- views ------------------------------------------------------------------

  ledgerBatches() {
    return this.ledger.batches().map((b) => ({
      id: b.id,
      origin: b.origin,
      label: b.label,
      quantity: b.quantity,
      serialPrefix: b.serialPrefix,
      serialDigits: b.serialDigits,
      counts: this.ledger.counts(b.id),
      createdAt: b.createdAt,
    }));
  }

  seatPage(batchId: string, opts: { state?: SeatState | 'free'; offset: number; limit: number }) {
    const b = this.ledger.batch(batchId);
    const counts = this.ledger.counts(batchId);
    const matching = this.ledger.count(batchId, opts.state);
    const seats = this.ledger.seats(batchId, opts).map((s) => ({
      seat: s.seat,
      serial: s.serial,
      state: s.state,
      fingerprintId: s.fingerprintId,
      flags: s.flags,
      activations: s.activations,
      updatedAt: s.updatedAt,
      delegation: s.delegation,
    }));
    return { batchId, origin: b.origin, label: b.label, quantity: b.quantity, counts, seats, matching };
  }

  /** One label per activated box; the QR code holds serial, batch, seat and fingerprint id. */
  labels(batchId: string) {
    const b = this.ledger.batch(batchId);
    const labels = this.ledger.seats(batchId, { state: 'spent', limit: 1e9 }).map((s) => ({
      serial: s.serial,
      seat: s.seat,
      fingerprintId: s.fingerprintId ?? '',
      qr: `EF1;serial=${s.serial};batch=${b.id};seat=${s.seat};fp=${s.fingerprintId ?? ''}`,
    }));
    return { batchId, label: b.label, labels };
  }

  delegationList() {
    return this.ledger.delegations().map(({ text: _t, signature: _s, ...d }) => d);
  }

  inspect(text: string) {
    const r = parseRequest(text);
    return {
      batchId: r.batch,
      batchLabel: this.ledger.has(r.batch) ? this.ledger.batch(r.batch).label : null,
      nonce: r.nonce,
      components: r.fingerprint.length,
      machineId: r.machineId,
      fingerprintId: fingerprintId(r.fingerprint),
    };
  }

  // -- report -----------------------------------------------------------------

  /** The production report: one CSV line per activated box, signed by this station. */
  report(batchId: string): { csv: string; signature: string; fileName: string; publicKeyPem: string } {
    const b = this.ledger.batch(batchId);
    const lines = ['serial,batch,seat,fingerprint_id,activated_at,activations,flags,signer,certificate_sha256'];
    const page = 5000;
    for (let offset = 0; ; offset += page) {
      const rows = this.ledger.seats(batchId, { state: 'spent', offset, limit: page });
      for (const s of rows) {
        const cert = s.certificate ? parseCertificateText(s.certificate) : null;
        lines.push(
          [
            s.serial,
            b.id,
            s.seat,
            s.fingerprintId ?? '',
            s.updatedAt ?? '',
            s.activations,
            s.flags.join(' '),
            cert?.signer.slice(0, 16) ?? '',
            s.certificate ? createHash('sha256').update(s.certificate).digest('hex') : '',
          ]
            .map(csvCell)
            .join(','),
        );
      }
      if (rows.length < page) break;
    }
    const csv = lines.join('\n') + '\n';
    const key = this.keys.current();
    const sig = this.keys.sign('edgeforge.report.v1', Buffer.from(csv), key.id);
    return { csv, signature: sig.toString('base64'), fileName: `report-${b.id}.csv`, publicKeyPem: key.publicKeyPem };
  }
}

/** RFC 4180 cell; cells starting with = + - @ are prefixed so spreadsheets do not run them. */
function csvCell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
