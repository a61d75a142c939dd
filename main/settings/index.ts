/**
 * User preferences that follow the data directory: UI language and theme.
 * A null locale means "follow the OS".
 */
import type { Settings } from '../api/contract';
import type { Db, ModuleSchema } from '../store';

export const settingsSchema: ModuleSchema = {
  module: 'settings',
  migrations: [
    {
      version: 1,
      name: 'key/value preferences',
      up: (db) => db.exec('CREATE TABLE settings_values (key TEXT PRIMARY KEY, value TEXT NOT NULL)'),
    },
  ],
};

const DEFAULTS: Settings = { locale: null, theme: 'system', flashConcurrency: 8 };

export class SettingsService {
  constructor(private readonly db: Db) {}

  get(): Settings {
    const rows = this.db.prepare('SELECT key, value FROM settings_values').all() as { key: string; value: string }[];
    const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    return { ...DEFAULTS, ...(stored as Partial<Settings>) };
  }

  update(patch: Partial<Settings>): Settings {
    const put = this.db.prepare('INSERT INTO settings_values (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) if (value !== undefined) put.run(key, JSON.stringify(value));
    })();
    return this.get();
  }
}
