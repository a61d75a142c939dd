/**
 * Batches (批次): a quantity of seats for one published combo, a serial
 * number scheme, and a license signed by the station key (docs/bundle-format.md).
 *
 * The license bytes are made once, at creation, and stored as signed: every
 * bundle of the batch carries exactly these bytes, so rebuilding a bundle
 * never changes them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Batch, BatchCreateInput, BundleOutput } from '../api/contract';
import { AppError } from '../api/errors';
import type { ComboService, ModelService } from '../catalog';
import type { ActivationService, StationKeys } from '../licensing';
import type { Db, Migration } from '../store';

export const batchesMigration: Migration = {
  version: 1,
  name: 'batches and the bundles built for them',
  up: (db) =>
    db.exec(`
      CREATE TABLE bundles_batches (
        id TEXT PRIMARY KEY,
        combo_id TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
        serial_prefix TEXT NOT NULL,
        serial_digits INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        license TEXT NOT NULL,
        license_sig BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE bundles_outputs (
        id TEXT PRIMARY KEY,
        batch_id TEXT NOT NULL REFERENCES bundles_batches(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('tar','iso')),
        file TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        compression TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `),
};

export const BatchErrors = {
  BATCH_NOT_FOUND: 'BATCH_NOT_FOUND',
  COMBO_NOT_PUBLISHED: 'COMBO_NOT_PUBLISHED',
} as const;

export interface BatchLicense {
  format: 'edgeforge.license/v1';
  batch: string;
  combo: { id: string; name: string };
  model: { name: string; revision: number };
  quantity: number;
  serial: { prefix: string; digits: number };
  issuedAt: string;
  station: string;
}

interface Row {
  id: string;
  combo_id: string;
  quantity: number;
  serial_prefix: string;
  serial_digits: number;
  key_id: string;
  license: string;
  license_sig: Buffer;
  created_at: string;
}

export const serialNumber = (prefix: string, digits: number, n: number) => `${prefix}${String(n).padStart(digits, '0')}`;

export class BatchService {
  constructor(
    private readonly db: Db,
    private readonly combos: ComboService,
    private readonly models: ModelService,
    private readonly keys: StationKeys,
    private readonly activation: ActivationService,
  ) {}

  /** Gives the seat ledger every batch it does not know yet (batches made before it existed). */
  registerAll(): void {
    for (const r of this.db.prepare('SELECT id FROM bundles_batches').all() as { id: string }[]) {
      if (!this.activation.ledger.has(r.id)) this.register(this.row(r.id));
    }
  }

  private register(r: Row): void {
    const license = JSON.parse(r.license) as BatchLicense;
    this.activation.registerOwn({
      id: r.id,
      label: license.combo.name,
      quantity: r.quantity,
      serialPrefix: r.serial_prefix,
      serialDigits: r.serial_digits,
      license: r.license,
      keyId: r.key_id,
    });
  }

  create(input: BatchCreateInput): Batch {
    const combo = this.combos.get(input.comboId);
    if (combo.state !== 'published') {
      throw new AppError(
        BatchErrors.COMBO_NOT_PUBLISHED,
        {
          en: `Combo "${combo.name}" is a draft. Publish it first: a batch is made from a frozen combo.`,
          zh: `一体机“${combo.name}”是草稿。请先发布：批次只能基于已冻结的一体机创建。`,
        },
        { field: ['comboId'] },
      );
    }
    const model = this.models.get(combo.spec.modelId);
    const key = this.keys.current();
    const id = `bat_${randomBytes(8).toString('hex')}`;
    const issuedAt = new Date().toISOString();
    const license: BatchLicense = {
      format: 'edgeforge.license/v1',
      batch: id,
      combo: { id: combo.id, name: combo.name },
      model: { name: model.name, revision: combo.spec.modelRevision },
      quantity: input.quantity,
      serial: { prefix: input.serialPrefix, digits: input.serialDigits },
      issuedAt,
      station: key.id,
    };
    const text = JSON.stringify(license, null, 2) + '\n';
    const sig = this.keys.sign('edgeforge.batch.license.v1', Buffer.from(text), key.id);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO bundles_batches (id, combo_id, quantity, serial_prefix, serial_digits, key_id, license, license_sig, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, combo.id, input.quantity, input.serialPrefix, input.serialDigits, key.id, text, sig, issuedAt);
      // Its seats, in the same transaction: a batch never exists without them.
      this.register(this.row(id));
    })();
    return this.get(id);
  }

  list(): Batch[] {
    return (this.db.prepare('SELECT id FROM bundles_batches ORDER BY created_at DESC').all() as { id: string }[]).map((r) => this.get(r.id));
  }

  private row(id: string): Row {
    const r = this.db.prepare('SELECT * FROM bundles_batches WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new AppError(BatchErrors.BATCH_NOT_FOUND, { en: `There is no batch ${id}.`, zh: `不存在批次 ${id}。` }, { field: ['id'] });
    return r;
  }

  get(id: string): Batch {
    const r = this.row(id);
    const license = JSON.parse(r.license) as BatchLicense;
    return {
      id: r.id,
      comboId: r.combo_id,
      comboName: license.combo.name,
      modelName: license.model.name,
      modelRevision: license.model.revision,
      quantity: r.quantity,
      serialPrefix: r.serial_prefix,
      serialDigits: r.serial_digits,
      firstSerial: serialNumber(r.serial_prefix, r.serial_digits, 1),
      lastSerial: serialNumber(r.serial_prefix, r.serial_digits, r.quantity),
      keyId: r.key_id,
      license: r.license,
      createdAt: r.created_at,
      outputs: this.outputs(id),
    };
  }

  /** license.json and its signature, exactly as issued. */
  licenseFiles(id: string): { license: Buffer; signature: Buffer; keyId: string; createdAt: string } {
    const r = this.row(id);
    return { license: Buffer.from(r.license), signature: Buffer.from(r.license_sig), keyId: r.key_id, createdAt: r.created_at };
  }

  outputs(batchId: string): BundleOutput[] {
    const rows = this.db.prepare('SELECT * FROM bundles_outputs WHERE batch_id = ? ORDER BY created_at DESC').all(batchId) as {
      id: string;
      kind: 'tar' | 'iso';
      file: string;
      size: number;
      sha256: string;
      compression: 'none' | 'zstd';
      created_at: string;
    }[];
    return rows.map((o) => ({
      id: o.id,
      kind: o.kind,
      file: o.file,
      size: o.size,
      sha256: o.sha256,
      compression: o.compression,
      createdAt: o.created_at,
      present: fs.existsSync(o.file) && fs.statSync(o.file).size === o.size,
    }));
  }

  /** Records a built bundle; a rebuild to the same file replaces the record. */
  recordOutput(batchId: string, o: { kind: 'tar' | 'iso'; file: string; size: number; sha256: string; compression: 'none' | 'zstd' }): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM bundles_outputs WHERE batch_id = ? AND file = ?').run(batchId, o.file);
      this.db
        .prepare('INSERT INTO bundles_outputs (id, batch_id, kind, file, size, sha256, compression, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(`out_${randomBytes(8).toString('hex')}`, batchId, o.kind, o.file, o.size, o.sha256, o.compression, new Date().toISOString());
    })();
  }
}
