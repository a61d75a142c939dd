import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../main/api/errors';
import { schemas } from '../../main/runtime';
import { Store, StoreErrors, type ModuleSchema } from '../../main/store';
import { tempDir } from '../support/tmp';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

const widgetsV1: ModuleSchema = {
  module: 'widgets',
  migrations: [{ version: 1, name: 'widgets', up: (db) => db.exec('CREATE TABLE widgets_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)') }],
};
const widgetsV2: ModuleSchema = {
  module: 'widgets',
  migrations: [
    ...widgetsV1.migrations,
    { version: 2, name: 'colour', up: (db) => db.exec("ALTER TABLE widgets_items ADD COLUMN colour TEXT NOT NULL DEFAULT 'grey'") },
  ],
};

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('store', () => {
  it('creates a fresh database in WAL mode with every module at its latest version', () => {
    const file = path.join(tempDir(), 'fresh.db');
    const store = Store.open(file, schemas);
    try {
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.versions()).toEqual(
        schemas.map((s) => ({ module: s.module, version: s.migrations.length })).sort((a, b) => a.module.localeCompare(b.module)),
      );
      expect(store.integrity()).toBe('ok');
    } finally {
      store.close();
    }
  });

  it('upgrades an older database in place and keeps its rows', () => {
    const file = path.join(tempDir(), 'old.db');
    const v1 = Store.open(file, [widgetsV1]);
    v1.db.prepare('INSERT INTO widgets_items (name) VALUES (?)').run('gear');
    v1.close();
    const v2 = Store.open(file, [widgetsV2]);
    try {
      expect(v2.versions()).toEqual([{ module: 'widgets', version: 2 }]);
      expect(v2.db.prepare('SELECT name, colour FROM widgets_items').all()).toEqual([{ name: 'gear', colour: 'grey' }]);
    } finally {
      v2.close();
    }
  });

  it('refuses a database from a newer version and leaves the file byte-for-byte untouched', () => {
    const file = path.join(tempDir(), 'newer.db');
    Store.open(file, [widgetsV2]).close();
    const before = sha(file);
    const e = refusal(() => Store.open(file, [widgetsV1]));
    expect(e.code).toBe(StoreErrors.DB_NEWER_VERSION);
    expect(e.text.en).toMatch(/newer EdgeForge.*v2.*up to v1/);
    expect(e.text.zh).toMatch(/更新版本/);
    expect(sha(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0).toBe(false);
  });

  it('refuses a database that holds a module this version does not know', () => {
    const file = path.join(tempDir(), 'unknown.db');
    Store.open(file, [widgetsV1, ...schemas]).close();
    const before = sha(file);
    const e = refusal(() => Store.open(file, schemas));
    expect(e.code).toBe(StoreErrors.DB_NEWER_VERSION);
    expect(e.text.en).toContain('"widgets"');
    expect(sha(file)).toBe(before);
  });

  it('refuses a file that is not a SQLite database, and leaves it alone', () => {
    const file = path.join(tempDir(), 'garbage.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x41));
    const e = refusal(() => Store.open(file, schemas));
    expect(e.code).toBe(StoreErrors.DB_CORRUPT);
    expect(fs.readFileSync(file).equals(Buffer.alloc(8192, 0x41))).toBe(true);
  });

  it('rolls back every migration of a start when one fails', () => {
    const file = path.join(tempDir(), 'broken.db');
    const broken: ModuleSchema = {
      module: 'zz',
      migrations: [{ version: 1, name: 'bad sql', up: (db) => db.exec('CREATE TABLE zz_x (id INTEGER); THIS IS NOT SQL') }],
    };
    const e = refusal(() => Store.open(file, [widgetsV1, broken]));
    expect(e.code).toBe(StoreErrors.DB_MIGRATION_FAILED);
    const db = new Database(file, { readonly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name);
      expect(tables).not.toContain('widgets_items');
      expect(tables).not.toContain('zz_x');
    } finally {
      db.close();
    }
  });

  it('stops a module from creating a table outside its own prefix', () => {
    const file = path.join(tempDir(), 'prefix.db');
    const trespasser: ModuleSchema = {
      module: 'jobs2',
      migrations: [{ version: 1, name: 'reach', up: (db) => db.exec('CREATE TABLE settings_sneaky (k TEXT)') }],
    };
    expect(() => Store.open(file, [trespasser])).toThrow(/outside its module prefix/);
  });

  it("backs up online with SQLite's backup API into a verified copy", async () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'live.db'), [widgetsV1]);
    try {
      store.db.prepare('INSERT INTO widgets_items (name) VALUES (?)').run('sprocket');
      const r = await store.backup(path.join(dir, 'copy', 'backup.db'));
      expect(r.bytes).toBeGreaterThan(0);
      const copy = new Database(r.path, { readonly: true });
      try {
        expect(copy.prepare('SELECT name FROM widgets_items').all()).toEqual([{ name: 'sprocket' }]);
      } finally {
        copy.close();
      }
      expect(fs.readdirSync(path.join(dir, 'copy'))).toEqual(['backup.db']);
    } finally {
      store.close();
    }
  });

  it('reports a backup to an unwritable place as BACKUP_FAILED and leaves no partial file', async () => {
    const dir = tempDir();
    const store = Store.open(path.join(dir, 'live.db'), [widgetsV1]);
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'a file where a folder should be');
    try {
      await expect(store.backup(path.join(blocker, 'x.db'))).rejects.toMatchObject({ code: StoreErrors.BACKUP_FAILED });
    } finally {
      store.close();
    }
  });
});
