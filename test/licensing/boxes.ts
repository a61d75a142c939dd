/** Test boxes: hardware component prefixes and machine ids, and the request codes they print. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ActivationService, encodeRequest, licensingSchema, SeatLedger, StationKeys, type ActivationRequest } from '../../main/licensing';
import { Store } from '../../main/store';
import { tempDir } from '../support/tmp';
import { unlockedVault } from '../support/vault';

export interface TestBox {
  name: string;
  fingerprint: string[];
  machineId: string;
}

const hex4 = () => randomBytes(4).toString('hex');

/** A box with a DMI UUID, a product serial and two NICs. */
export function box(name: string): TestBox {
  return { name, fingerprint: [hex4(), hex4(), hex4(), hex4()], machineId: hex4() };
}

export function requestOf(b: TestBox, batch: string, nonce = hex4()): ActivationRequest {
  return { batch, nonce, fingerprint: b.fingerprint, machineId: b.machineId };
}

export function codeOf(b: TestBox, batch: string, nonce?: string): string {
  return encodeRequest(requestOf(b, batch, nonce));
}

export const testLicense = (id: string, quantity: number) =>
  JSON.stringify(
    { format: 'edgeforge.license/v1', batch: id, combo: { id: 'cmb_0', name: 'line-a' }, quantity, serial: { prefix: 'LA-', digits: 4 } },
    null,
    2,
  ) + '\n';

/** Records an own batch of `quantity` seats, serials LA-0001…, in a station's ledger. */
export function registerTestBatch(activation: ActivationService, keyId: string, batch: string, quantity: number): void {
  activation.registerOwn({ id: batch, label: 'line-a', quantity, serialPrefix: 'LA-', serialDigits: 4, license: testLicense(batch, quantity), keyId });
}

/** A station (store, unlocked key, ledger) with one own batch. */
export function station(quantity = 10, dir = tempDir()) {
  const store = Store.open(path.join(dir, 'db.sqlite'), [licensingSchema]);
  const keys = new StationKeys(store.db, path.join(dir, 'keys'), unlockedVault(path.join(dir, 'keys')));
  const ledger = new SeatLedger(store.db);
  const activation = new ActivationService(ledger, keys);
  const batch = `bat_${randomBytes(8).toString('hex')}`;
  registerTestBatch(activation, keys.current().id, batch, quantity);
  return { dir, store, keys, ledger, activation, batch };
}
