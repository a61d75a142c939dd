import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { armouredBlocks, compactToDer, decodeReply, StationKeys } from '../../main/licensing';
import { parseCertificateText } from '../../main/licensing/certificate';
import { tempDir } from '../support/tmp';
import { box, codeOf, requestOf, station } from './boxes';

/** What a box runs: the system openssl over "<domain>\n" + text. */
function opensslVerifies(pubPem: string, domain: string, text: string, der: Buffer): boolean {
  const d = tempDir();
  fs.writeFileSync(path.join(d, 'pub.pem'), pubPem);
  fs.writeFileSync(path.join(d, 'sig'), der);
  const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', path.join(d, 'pub.pem'), '-signature', path.join(d, 'sig')], { input: `${domain}\n${text}` });
  return r.status === 0;
}

describe('activation', () => {
  it('spends the lowest free seat and returns a reply file whose certificate openssl verifies, and a code that rebuilds the same signature', () => {
    const s = station(5);
    const b = box('b1');
    const a = s.activation.activate(codeOf(b, s.batch, '0a0b0c0d'));
    expect(a).toMatchObject({ batchId: s.batch, seat: 1, serial: 'LA-0001', reactivation: false, cloneOf: null });
    const cert = parseCertificateText(a.certificate);
    expect(cert).toMatchObject({
      batch: s.batch,
      seat: 1,
      serial: 'LA-0001',
      fingerprint: b.fingerprint,
      nonce: '0a0b0c0d',
      signer: s.keys.current().publicKeyHex,
    });
    expect(cert.issued % 60).toBe(0);
    const blocks = armouredBlocks(a.file);
    expect(blocks.map((x) => x.label)).toEqual(['ACTIVATION', 'ACTIVATION SIGNATURE']);
    expect(blocks[0]!.body).toBe(a.certificate);
    const der = Buffer.from(blocks[1]!.body.replace(/\s+/g, ''), 'base64');
    expect(opensslVerifies(s.keys.current().publicKeyPem, 'edgeforge.activation.certificate.v1', a.certificate, der)).toBe(true);
    expect(opensslVerifies(s.keys.current().publicKeyPem, 'edgeforge.activation.certificate.v1', a.certificate.replace('seat=1', 'seat=2'), der)).toBe(false);
    // The typed reply carries seat, minute and r‖s: with the request the box rebuilds the certificate and verifies it.
    const reply = decodeReply(a.code);
    expect(reply).toMatchObject({ seat: 1, issued: cert.issued });
    expect(opensslVerifies(s.keys.current().publicKeyPem, 'edgeforge.activation.certificate.v1', a.certificate, compactToDer(reply.signature))).toBe(true);
    expect(a.file).toContain(`code=${a.code}`);
    expect(s.ledger.counts(s.batch)).toMatchObject({ total: 5, spent: 1, available: 4 });
    s.store.close();
  });

  it('gives the same box the same seat again (k of n: one NIC replaced still matches), and a new main board a new seat', () => {
    const s = station(5);
    const b = box('b1');
    s.activation.activate(codeOf(b, s.batch));
    s.activation.activate(codeOf(box('b2'), s.batch));
    const again = s.activation.activate(codeOf(b, s.batch));
    expect(again).toMatchObject({ seat: 1, reactivation: true });
    const newNic = { ...b, fingerprint: [b.fingerprint[0]!, b.fingerprint[1]!, b.fingerprint[2]!, 'feedf00d'] };
    expect(s.activation.activate(codeOf(newNic, s.batch))).toMatchObject({ seat: 1, reactivation: true });
    // Two of four still match (half): the same box.
    const twoLeft = { ...b, fingerprint: [b.fingerprint[0]!, b.fingerprint[1]!, 'aaaaaaaa', 'bbbbbbbb'], machineId: 'cccccccc' };
    expect(s.activation.activate(codeOf(twoLeft, s.batch))).toMatchObject({ seat: 1, reactivation: true });
    // After that reactivation the recorded box is twoLeft; a box sharing one component of it is another box.
    const board = { ...box('b1-new-board'), machineId: 'dddddddd' };
    board.fingerprint[3] = 'aaaaaaaa';
    expect(s.activation.activate(codeOf(board, s.batch))).toMatchObject({ seat: 3, reactivation: false });
    expect(s.ledger.counts(s.batch)).toMatchObject({ spent: 3, available: 2 });
    s.store.close();
  });

  it('refuses a cloned disk (same machine-id, other hardware) without giving it the original seat; activated on purpose it spends a new, flagged seat', () => {
    const s = station(5);
    const orig = box('orig');
    s.activation.activate(codeOf(orig, s.batch));
    const clone = { ...box('clone'), machineId: orig.machineId };
    expect(() => s.activation.activate(codeOf(clone, s.batch))).toThrow(
      expect.objectContaining({ code: 'LEDGER_CLONE_SUSPECTED', message: expect.stringContaining('LA-0001') }),
    );
    expect(s.ledger.counts(s.batch)).toMatchObject({ spent: 1, reserved: 0 });
    expect(s.ledger.events(s.batch, 1)[0]).toMatchObject({ kind: 'clone-refused', seat: 1 });
    const a = s.activation.activate(codeOf(clone, s.batch), { allowClone: true });
    expect(a).toMatchObject({ seat: 2, reactivation: false, cloneOf: 1 });
    expect(s.ledger.seat(s.batch, 2)!.flags).toEqual(['clone']);
    s.store.close();
  });

  it('refuses when the batch has no free seat, naming what holds them; a request for an unknown batch is refused too', () => {
    const s = station(2);
    s.activation.activate(codeOf(box('a'), s.batch));
    s.activation.activate(codeOf(box('b'), s.batch));
    expect(() => s.activation.activate(codeOf(box('c'), s.batch))).toThrow(
      expect.objectContaining({ code: 'LEDGER_NO_SEAT', message: expect.stringContaining('2 spent') }),
    );
    expect(() => s.activation.activate(codeOf(box('d'), 'bat_00000000000000ff'))).toThrow(expect.objectContaining({ code: 'LEDGER_UNKNOWN_BATCH' }));
    s.store.close();
  });

  it('releases a reservation whose step failed or that timed out; a late spend is refused and nothing is spent twice', () => {
    let now = Date.parse('2026-11-22T08:00:00Z');
    const s = station(3);
    const ledger = s.ledger;
    (ledger as unknown as { now: () => Date }).now = () => new Date(now);
    const b = box('x');
    const r = s.activation.reserve(requestOf(b, s.batch));
    expect(s.ledger.counts(s.batch)).toMatchObject({ reserved: 1 });
    expect(s.ledger.release(r, 'upload failed')).toBe(true);
    expect(s.ledger.counts(s.batch)).toMatchObject({ reserved: 0, available: 3 });
    const r2 = s.activation.reserve(requestOf(b, s.batch), { ttlMs: 1000 });
    expect(r2.seat).toBe(1);
    now += 2000;
    expect(s.ledger.recover()).toBe(1);
    expect(() => s.activation.complete(r2, requestOf(b, s.batch))).toThrow(expect.objectContaining({ code: 'LEDGER_RESERVATION_LOST' }));
    expect(s.ledger.counts(s.batch)).toMatchObject({ spent: 0, available: 3 });
    expect(s.ledger.events(s.batch, 10).map((e) => e.kind)).toEqual(['released', 'reserved', 'released', 'reserved', 'registered']);
    expect(s.ledger.verify()).toMatchObject({ ok: true });
    s.store.close();
  });

  it('keeps an append-only log whose hash chain and replay `ledger verify` checks: an edited or deleted event is found', () => {
    const s = station(3);
    s.activation.activate(codeOf(box('a'), s.batch));
    s.activation.activate(codeOf(box('b'), s.batch));
    expect(s.ledger.verify()).toMatchObject({ ok: true, events: 5, seats: 3, problems: [] });
    expect(() => s.store.db.prepare("UPDATE licensing_events SET detail = '{}' WHERE seq = 3").run()).toThrow(/append-only/);
    expect(() => s.store.db.prepare('DELETE FROM licensing_events WHERE seq = 3').run()).toThrow(/append-only/);
    // Someone with the database file in hand, triggers dropped:
    s.store.db.exec('DROP TRIGGER licensing_events_no_update; DROP TRIGGER licensing_events_no_delete;');
    s.store.db.prepare('UPDATE licensing_events SET detail = \'{"fingerprint":"forged"}\' WHERE seq = 3').run();
    const v = s.ledger.verify();
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.en).join('\n')).toMatch(/event 3 .*changed/);
    expect(v.problems.map((p) => p.zh).join('\n')).toMatch(/事件 3.*已被修改/);
    s.store.db.prepare("UPDATE licensing_seats SET state = 'available' WHERE seat = 2").run();
    expect(
      s.ledger
        .verify()
        .problems.map((p) => p.en)
        .join('\n'),
    ).toMatch(/seat 2: the ledger says available, its events say spent/);
    s.store.close();
  });

  it('delegates a seat range to another station, which issues only from it with a chain that leads to the issuer, and returns what it did not use', () => {
    const factory = station(10);
    const field = station(1);
    const fieldKey = field.keys.current();
    // The field laptop proves nothing by itself: a bad key and the factory's own key are refused.
    expect(() => factory.activation.delegate(factory.batch, 3, 5, 'not a key')).toThrow(expect.objectContaining({ code: 'PUBLIC_KEY_INVALID' }));
    expect(() => factory.activation.delegate(factory.batch, 3, 5, factory.keys.current().publicKeyHex)).toThrow(
      expect.objectContaining({ code: 'DELEGATION_OWN_BATCH' }),
    );
    const d = factory.activation.delegate(factory.batch, 3, 5, fieldKey.publicKeyPem);
    expect(factory.ledger.counts(factory.batch)).toMatchObject({ delegated: 3, available: 7 });
    // Overlapping ranges are refused.
    expect(() => factory.activation.delegate(factory.batch, 5, 6, fieldKey.publicKeyHex)).toThrow(
      expect.objectContaining({ code: 'LEDGER_RANGE', message: expect.stringContaining('Seat 5') }),
    );
    // The factory keeps issuing outside the range.
    expect(factory.activation.activate(codeOf(box('f1'), factory.batch)).seat).toBe(1);

    // A third station cannot import it; a changed file is refused.
    expect(() => station(1).activation.importDelegation(d.file)).toThrow(expect.objectContaining({ code: 'DELEGATION_NOT_FOR_THIS_STATION' }));
    expect(() => field.activation.importDelegation(d.file.replace('seats=3-5', 'seats=3-9'))).toThrow(
      expect.objectContaining({ code: 'DELEGATION_FILE_INVALID' }),
    );
    const g = field.activation.importDelegation(d.file);
    expect(g).toMatchObject({ direction: 'received', batchId: factory.batch, first: 3, last: 5 });
    const boxes = [box('d1'), box('d2'), box('d3')];
    const seats = boxes.map((b) => field.activation.activate(codeOf(b, factory.batch)));
    expect(seats.map((a) => a.seat)).toEqual([3, 4, 5]);
    expect(() => field.activation.activate(codeOf(box('d4'), factory.batch))).toThrow(expect.objectContaining({ code: 'LEDGER_NO_SEAT' }));
    // The reply carries the chain: delegation signed by the issuer, certificate by the delegate.
    const a = seats[0]!;
    const blocks = armouredBlocks(a.file);
    expect(blocks.map((x) => x.label)).toEqual(['ACTIVATION', 'ACTIVATION SIGNATURE', 'DELEGATION', 'DELEGATION SIGNATURE']);
    const issuerPem = factory.keys.current().publicKeyPem;
    const derOf = (i: number) => Buffer.from(blocks[i]!.body.replace(/\s+/g, ''), 'base64');
    expect(opensslVerifies(issuerPem, 'edgeforge.delegation.v1', blocks[2]!.body, derOf(3))).toBe(true);
    expect(opensslVerifies(fieldKey.publicKeyPem, 'edgeforge.activation.certificate.v1', blocks[0]!.body, derOf(1))).toBe(true);
    expect(opensslVerifies(issuerPem, 'edgeforge.activation.certificate.v1', blocks[0]!.body, derOf(1))).toBe(false);
    const typed = decodeReply(a.code);
    expect(typed.delegation).toMatchObject({ delegate: fieldKey.publicKeyHex, first: 3, last: 5 });
    expect(
      StationKeys.verifyCompact(factory.keys.current().publicKeyHex, 'edgeforge.delegation.v1', Buffer.from(blocks[2]!.body), typed.delegation!.signature),
    ).toBe(true);

    // Return: one seat was used twice by the same box (no extra seat), the rest went back.
    const field2 = station(1);
    const g2File = factory.activation.delegate(factory.batch, 6, 8, field2.keys.current().publicKeyHex);
    field2.activation.importDelegation(g2File.file);
    field2.activation.activate(codeOf(box('e1'), factory.batch));
    const ret = field2.activation.returnDelegation(field2.activation.delegationList()[0]!.id);
    expect(ret).toMatchObject({ returned: 2, spent: 1 });
    expect(() => field2.activation.activate(codeOf(box('e2'), factory.batch))).toThrow(expect.objectContaining({ code: 'LEDGER_NO_SEAT' }));
    expect(() => factory.activation.importReturn(ret.file.replace('returned=7,8', 'returned=7,8,9'))).toThrow(
      expect.objectContaining({ code: 'DELEGATION_FILE_INVALID' }),
    );
    expect(factory.activation.importReturn(ret.file)).toMatchObject({ freed: 2, spent: 1 });
    expect(factory.ledger.seat(factory.batch, 6)).toMatchObject({ state: 'spent', flags: ['delegate'] });
    expect(factory.ledger.counts(factory.batch)).toMatchObject({ spent: 2, delegated: 3, available: 5 });
    expect(factory.ledger.verify().ok).toBe(true);
    expect(field.ledger.verify().ok).toBe(true);
    for (const s of [factory, field, field2]) s.store.close();
  });

  it('writes a production report: a CSV line per activated box, signed so that openssl verifies it', () => {
    const s = station(4);
    s.activation.activate(codeOf(box('a'), s.batch));
    s.activation.activate(codeOf(box('b'), s.batch));
    const r = s.activation.report(s.batch);
    const lines = r.csv.trim().split('\n');
    expect(lines[0]).toBe('serial,batch,seat,fingerprint_id,activated_at,activations,flags,signer,certificate_sha256');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([`LA-0001,${s.batch},1`, `LA-0002,${s.batch},2`]);
    expect(opensslVerifies(r.publicKeyPem, 'edgeforge.report.v1', r.csv, Buffer.from(r.signature, 'base64'))).toBe(true);
    expect(opensslVerifies(r.publicKeyPem, 'edgeforge.report.v1', r.csv.replace('LA-0002', 'LA-0003'), Buffer.from(r.signature, 'base64'))).toBe(false);
    const labels = s.activation.labels(s.batch).labels;
    expect(labels).toHaveLength(2);
    expect(labels[0]!.qr).toBe(`EF1;serial=LA-0001;batch=${s.batch};seat=1;fp=${labels[0]!.fingerprintId}`);
    s.store.close();
  });
});
