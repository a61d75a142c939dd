/**
 * Activation on lab boxes, end to end with the product on both sides: a tar
 * bundle EdgeForge built, its install.sh on the box, and the station's seat
 * ledger issuing the replies (docs/activation.md).
 *
 *   1. install, then activate over SSH (request → reply file → activate);
 *   2. a clone of that box's installed disk in other hardware (other DMI
 *      UUID, serial and MACs) gets no free reactivation;
 *   3. the same hardware reinstalled on a fresh disk gets the same seat;
 *   4. the typed-code flow through the serial console, with a typo first,
 *      the reply issued by a field station the seats were delegated to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseRequest } from '../../main/licensing';
import { Lab, ROOT_PASSWORD, type Box } from './lab';
import { station as fieldStation } from '../licensing/boxes';
import { labBundleStation } from './lab-station';
import { closePort, expectOn, openPort } from './serial';
import { sshExec } from './ssh';

describe('activation on lab boxes', { timeout: 900_000 }, () => {
  let lab: Lab;
  let station: Awaited<ReturnType<typeof labBundleStation>>;
  let dir: string;
  let box1: Box;
  let cloneDisk: string;
  const key = () => fs.readFileSync(inject('labImage').key);
  const root = (b: Box) => ({ port: b.sshPort, username: 'root', privateKey: key() });
  const bundleDir = () => `/root/edgeforge-${station.batchId}`;

  async function install(b: Box): Promise<void> {
    const put = await sshExec(
      root(b),
      'cat > /root/bundle.tar && tar -xf /root/bundle.tar -C /root && rm /root/bundle.tar',
      120_000,
      fs.createReadStream(station.bundle),
    );
    expect(put.code, put.stderr).toBe(0);
    const r = await sshExec(root(b), `cd ${bundleDir()} && sh install.sh`, 300_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  }

  async function request(b: Box): Promise<string> {
    const r = await sshExec(root(b), `cd ${bundleDir()} && sh install.sh request`, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const m = /^EDGEFORGE-REQUEST ([0-9A-Z-]+)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return m![1]!;
  }

  async function activateWithFile(b: Box, file: string) {
    return sshExec(root(b), `cat > /root/reply.txt && cd ${bundleDir()} && sh install.sh activate /root/reply.txt`, 60_000, Readable.from([Buffer.from(file)]));
  }

  beforeAll(async () => {
    station = await labBundleStation({ quantity: 3, serialPrefix: 'LAB-' });
    lab = await Lab.create(inject('labImage'));
    dir = path.dirname(station.bundle);
    box1 = await lab.start({ name: 'act-1', accelerator: true, memoryMiB: 2048, diskGiB: 20 });
    await box1.waitReady(180_000);
  }, 600_000);

  afterAll(async () => {
    await lab?.dispose();
    station?.s.store.close();
  });

  it('installs from the tar bundle, then activates over SSH: the box prints its request, the station spends seat 1, the box checks the reply with openssl', async () => {
    await install(box1);
    // Keep the installed, not yet activated disk: the clone test boots a copy of it.
    await box1.powerOff();
    cloneDisk = path.join(dir, 'act-1-installed.qcow2');
    fs.copyFileSync(box1.disk, cloneDisk);
    await box1.boot();
    await box1.waitReady(180_000);

    const code = await request(box1);
    expect(await request(box1)).toBe(code); // asked twice: the same request
    const req = parseRequest(code);
    expect(req.batch).toBe(station.batchId);
    const identity = JSON.parse((await box1.ssh('cat /etc/edgeforge/identity.json')).stdout) as { fingerprint: string[] };
    expect(req.fingerprint.every((p) => identity.fingerprint.some((h) => h.startsWith(p)))).toBe(true);

    const a = station.activation.activate(code);
    expect(a).toMatchObject({ seat: 1, serial: 'LAB-000001', reactivation: false });
    const r = await activateWithFile(box1, a.file);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^EDGEFORGE-ACTIVATION state=activated seat=1 serial=LAB-000001 matched=\d+\/\d+$/m);
    const etc = await box1.ssh('cat /etc/edgeforge/state; cat /etc/edgeforge/activation.txt');
    expect(etc.stdout).toContain('activated\n');
    expect(etc.stdout).toContain(a.certificate);
    expect(station.activation.ledger.counts(station.batchId)).toMatchObject({ spent: 1, reserved: 0 });
  });

  it('a clone of that installed disk in other hardware (DMI UUID, serial, MACs) gets no free reactivation, and cannot use the original reply', async () => {
    await box1.powerOff();
    const clone = await lab.start({ name: 'act-clone', accelerator: true, memoryMiB: 2048, disk: cloneDisk, hostname: null });
    await clone.waitSsh(180_000);
    expect((await clone.ssh('cat /sys/class/dmi/id/product_uuid')).stdout.trim()).not.toBe(box1.uuid);
    const code = await request(clone);
    expect(() => station.activation.activate(code)).toThrow(
      expect.objectContaining({ code: 'LEDGER_CLONE_SUSPECTED', message: expect.stringContaining('LAB-000001') }),
    );
    expect(station.activation.ledger.counts(station.batchId)).toMatchObject({ spent: 1, available: 2 });
    // The original box's reply is refused on the clone (another box's fingerprint and request).
    const original = station.activation.ledger.seat(station.batchId, 1)!;
    const replyOfBox1 = station.activation.ledger.seat(station.batchId, 1)!.certificate!;
    expect(original.state).toBe('spent');
    const forged = `-----BEGIN EDGEFORGE ACTIVATION-----\n${replyOfBox1}-----END EDGEFORGE ACTIVATION-----\n`;
    const r = await activateWithFile(clone, forged);
    expect(r.code).toBe(80);
    expect((await clone.ssh('cat /etc/edgeforge/state')).stdout.trim()).toBe('installed-awaiting-activation');
    clone.kill();
    await clone.waitGone();
  });

  it('the same hardware reinstalled on a fresh disk gets the same seat back', async () => {
    const again = await lab.start({
      name: 'act-1-reinstalled',
      accelerator: true,
      memoryMiB: 2048,
      diskGiB: 20,
      uuid: box1.uuid,
      serial: box1.serial,
      macs: box1.macs,
    });
    await again.waitReady(180_000);
    await install(again);
    const code = await request(again);
    const a = station.activation.activate(code);
    expect(a).toMatchObject({ seat: 1, serial: 'LAB-000001', reactivation: true });
    const r = await activateWithFile(again, a.file);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('seat=1 serial=LAB-000001');
    expect(station.activation.ledger.counts(station.batchId)).toMatchObject({ spent: 1, available: 2 });
    again.kill();
    await again.waitGone();
  });

  it('activates by typed codes through the serial console, from a field station the seats were delegated to: the request read off the line, a mistyped reply group named, then the delegated code accepted', async () => {
    // The factory station delegates seats 2-3 to a field laptop (another station, its own key and ledger).
    const field = fieldStation(1);
    const delegation = station.activation.delegate(station.batchId, 2, 3, field.keys.current().publicKeyHex);
    field.activation.importDelegation(delegation.file);
    const b = await lab.start({ name: 'act-serial', accelerator: true, memoryMiB: 2048, diskGiB: 20 });
    await b.waitReady(180_000);
    await install(b);
    const port = await openPort(b.serialPaths[0]);
    try {
      port.write('\r');
      await expectOn(port, /login: ?$/m, 60_000);
      port.write('root\r');
      await expectOn(port, /Password: ?$/m);
      port.write(`${ROOT_PASSWORD}\r`);
      await expectOn(port, /# ?$/m);
      port.write(`cd ${bundleDir()} && sh install.sh request\r`);
      const seen = await expectOn(port, /EDGEFORGE-REQUEST [0-9A-Z-]+\r?\n[\s\S]*# ?$/m, 60_000);
      const code = /EDGEFORGE-REQUEST ([0-9A-Z-]+)/.exec(seen)![1]!;
      // The QR code: UTF-8 half blocks (▀ ▄ █, read here byte by byte) on a UTF-8 console, '##' otherwise.
      expect(seen).toMatch(/##|\u00e2\u0096[\u0080\u0084\u0088]/);
      const a = field.activation.activate(code);
      expect(a).toMatchObject({ seat: 2, reactivation: false });
      expect(a.code.split('-').length).toBeGreaterThan(60); // a delegate's reply carries its delegation

      // The engineer types the reply at the prompt; first with one character wrong in group 3.
      const groups = a.code.split('-');
      const g3 = groups[2]!;
      const wrong = [...groups];
      wrong[2] = (g3[0] === '7' ? '8' : '7') + g3.slice(1);
      port.write('sh install.sh activate\r');
      await expectOn(port, /reply|code/i, 30_000);
      port.write(`${wrong.join('-')}\r`);
      await expectOn(port, /group 3/i, 60_000);
      port.write(`${a.code}\r`);
      const done = await expectOn(port, /EDGEFORGE-ACTIVATION state=activated seat=2 serial=LAB-000002/, 120_000);
      expect(done).not.toMatch(/state=fail/);
      port.write('cat /etc/edgeforge/state\r');
      await expectOn(port, /[\r\n]activated\r?\n/);
      port.write('exit\r');
    } finally {
      await closePort(port);
    }
    // The field laptop returns what it did not use; the factory's ledger then has both boxes.
    const ret = field.activation.returnDelegation(field.activation.delegationList()[0]!.id);
    expect(station.activation.importReturn(ret.file)).toMatchObject({ freed: 1, spent: 1 });
    expect(station.activation.ledger.counts(station.batchId)).toMatchObject({ spent: 2, available: 1, delegated: 0 });
    expect(station.activation.ledger.verify().ok).toBe(true);
    field.store.close();
  });
});
