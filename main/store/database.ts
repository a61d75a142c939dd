/**
 * The SQLite store (better-sqlite3, WAL).
 *
 * Each domain module declares its own schema as numbered migrations and owns
 * the tables whose names start with its prefix; the runner refuses a
 * migration that creates a table outside it. At open:
 *   1. an existing file is checked read-only first: PRAGMA integrity_check,
 *      then the recorded schema versions. A database written by a newer app
 *      (a higher version, or a module this app does not know) is refused and
 *      left byte-for-byte untouched.
 *   2. only then is it opened read-write, switched to WAL, and every pending
 *      migration applied inside one transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../api/errors';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  up: (db: Db) => void;
}

export interface ModuleSchema {
  /** Module name; its tables must be named `${module}_...`. */
  module: string;
  migrations: Migration[];
}

export const StoreErrors = {
  DB_NEWER_VERSION: 'DB_NEWER_VERSION',
  DB_CORRUPT: 'DB_CORRUPT',
  DB_OPEN_FAILED: 'DB_OPEN_FAILED',
  DB_MIGRATION_FAILED: 'DB_MIGRATION_FAILED',
  BACKUP_FAILED: 'BACKUP_FAILED',
} as const;

const MIGRATIONS_TABLE = 'store_migrations';

/** File-system failures a technician can act on, by errno code. */
const FS_REASONS: Record<string, { en: string; zh: string }> = {
  ENOSPC: { en: 'the disk is full', zh: '磁盘已满' },
  EACCES: { en: 'permission denied', zh: '没有权限' },
  EPERM: { en: 'permission denied', zh: '没有权限' },
  EROFS: { en: 'the disk is read-only', zh: '磁盘为只读' },
  ENOTDIR: { en: 'a file stands where a folder is needed', zh: '路径中应为文件夹的位置是一个文件' },
  EEXIST: { en: 'a file stands where a folder is needed', zh: '路径中应为文件夹的位置是一个文件' },
};

interface Recorded {
  module: string;
  version: number;
}

function latest(schema: ModuleSchema): number {
  return schema.migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

function checkSchemas(schemas: ModuleSchema[]): void {
  const seen = new Set<string>();
  for (const s of schemas) {
    if (seen.has(s.module)) throw new Error(`module schema declared twice: ${s.module}`);
    seen.add(s.module);
    s.migrations.forEach((m, i) => {
      if (m.version !== i + 1) throw new Error(`${s.module}: migrations must be numbered 1..n in order (found ${m.version} at ${i})`);
    });
  }
}

function corrupt(file: string, detail: string, cause?: unknown): AppError {
  return new AppError(
    StoreErrors.DB_CORRUPT,
    {
      en: `The database ${file} failed its integrity check (${detail}). It was left untouched; restore it from a backup in the backups folder.`,
      zh: `数据库 ${file} 未通过完整性检查（${detail}）。文件未被改动；请从 backups 目录中的备份恢复。`,
    },
    { file, cause },
  );
}

/** Read-only look at an existing file: integrity and recorded versions. */
function inspectExisting(file: string): Recorded[] {
  let ro: Db | undefined;
  try {
    ro = new Database(file, { readonly: true, fileMustExist: true });
    const rows = ro.pragma('integrity_check') as { integrity_check: string }[];
    const verdict = rows.map((r) => r.integrity_check).join('; ');
    if (verdict !== 'ok') throw corrupt(file, verdict.slice(0, 300));
    const hasTable = ro.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(MIGRATIONS_TABLE);
    if (!hasTable) return [];
    return ro.prepare(`SELECT module, MAX(version) AS version FROM ${MIGRATIONS_TABLE} GROUP BY module`).all() as Recorded[];
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw corrupt(file, code, e);
    throw new AppError(
      StoreErrors.DB_OPEN_FAILED,
      { en: `Could not open the database ${file}: ${(e as Error).message}`, zh: `无法打开数据库 ${file}：${(e as Error).message}` },
      { file, cause: e },
    );
  } finally {
    ro?.close();
  }
}

function refuseNewer(file: string, recorded: Recorded[], schemas: ModuleSchema[]): void {
  const known = new Map(schemas.map((s) => [s.module, latest(s)]));
  for (const r of recorded) {
    const mine = known.get(r.module);
    if (mine === undefined || r.version > mine) {
      const what =
        mine === undefined
          ? `module "${r.module}" v${r.version}, unknown to this version`
          : `"${r.module}" schema v${r.version}, this version knows up to v${mine}`;
      const whatZh = mine === undefined ? `模块“${r.module}” v${r.version}，本版本不认识` : `“${r.module}”结构 v${r.version}，本版本最高支持 v${mine}`;
      throw new AppError(
        StoreErrors.DB_NEWER_VERSION,
        {
          en: `The database ${file} was written by a newer EdgeForge (${what}). Update EdgeForge to open it. The file was left untouched.`,
          zh: `数据库 ${file} 由更新版本的 EdgeForge 写入（${whatZh}）。请升级 EdgeForge 后再打开。文件未被改动。`,
        },
        { file },
      );
    }
  }
}

function tableNames(db: Db): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

export class Store {
  private constructor(
    readonly db: Db,
    readonly file: string,
  ) {}

  /** Opens (creating if absent) and migrates. Throws AppError on refusal. */
  static open(file: string, schemas: ModuleSchema[]): Store {
    checkSchemas(schemas);
    if (file !== ':memory:' && fs.existsSync(file)) refuseNewer(file, inspectExisting(file), schemas);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      // FULL: a committed seat (an activation certificate handed out) must
      // survive a power cut, not only a killed process.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // Many CLI processes may activate at once (factory scripts): wait for the writer.
      db.pragma('busy_timeout = 30000');
      Store.migrate(db, file, schemas);
    } catch (e) {
      db.close();
      throw e;
    }
    return new Store(db, file);
  }

  private static migrate(db: Db, file: string, schemas: ModuleSchema[]): void {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
      PRIMARY KEY (module, version))`);
    const current = db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM ${MIGRATIONS_TABLE} WHERE module = ?`);
    const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (module, version, name, applied_at) VALUES (?, ?, ?, ?)`);
    const run = db.transaction(() => {
      for (const schema of schemas) {
        const have = (current.get(schema.module) as { v: number }).v;
        for (const m of schema.migrations.filter((x) => x.version > have)) {
          const before = tableNames(db);
          try {
            m.up(db);
          } catch (e) {
            throw new AppError(
              StoreErrors.DB_MIGRATION_FAILED,
              {
                en: `Migration ${schema.module} v${m.version} (${m.name}) failed: ${(e as Error).message}. Nothing was changed.`,
                zh: `迁移 ${schema.module} v${m.version}（${m.name}）失败：${(e as Error).message}。未做任何更改。`,
              },
              { file, cause: e },
            );
          }
          for (const t of tableNames(db)) {
            if (!before.has(t) && !t.startsWith(`${schema.module}_`)) {
              throw new Error(`migration ${schema.module} v${m.version} created table "${t}" outside its module prefix`);
            }
          }
          record.run(schema.module, m.version, m.name, new Date().toISOString());
        }
      }
    });
    run();
  }

  versions(): Recorded[] {
    return this.db.prepare(`SELECT module, MAX(version) AS version FROM ${MIGRATIONS_TABLE} GROUP BY module ORDER BY module`).all() as Recorded[];
  }

  integrity(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  /**
   * SQLite's online backup API to a temp file beside the destination, checked
   * with integrity_check, then renamed into place.
   */
  async backup(destination: string): Promise<{ path: string; bytes: number }> {
    const dest = path.resolve(destination);
    const tmp = `${dest}.partial-${process.pid}`;
    const removeTmp = () => {
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) {
        try {
          fs.rmSync(f, { force: true });
        } catch {
          /* the folder may not exist at all */
        }
      }
    };
    try {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      await this.db.backup(tmp);
      // The copy inherits WAL mode; make it one self-contained file, then check it.
      const check = new Database(tmp, { fileMustExist: true });
      try {
        check.pragma('journal_mode = DELETE');
        const verdict = (check.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
        if (verdict !== 'ok') throw new Error(`backup failed its integrity check: ${verdict}`);
      } finally {
        check.close();
      }
      fs.renameSync(tmp, dest);
      return { path: dest, bytes: fs.statSync(dest).size };
    } catch (e) {
      removeTmp();
      const err = e as NodeJS.ErrnoException;
      const known = (err.code && FS_REASONS[err.code]) || null;
      const reason = known ?? { en: err.message, zh: err.message };
      throw new AppError(
        StoreErrors.BACKUP_FAILED,
        { en: `Backup to ${dest} failed: ${reason.en}.`, zh: `备份到 ${dest} 失败：${reason.zh}。` },
        { file: dest, cause: e },
      );
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
