import type { ModuleSchema } from '../store';
import { appsMigration } from './apps';
import { combosMigration } from './combos';

/** The catalog's tables: hardware models (v1), applications (v2), appliance combos (v3). */
export const catalogSchema: ModuleSchema = {
  module: 'catalog',
  migrations: [
    {
      version: 1,
      name: 'hardware models and their revisions',
      up: (db) =>
        db.exec(`
          CREATE TABLE catalog_models (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
          );
          CREATE TABLE catalog_model_revisions (
            model_id TEXT NOT NULL REFERENCES catalog_models(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('draft','published','retired')),
            spec TEXT NOT NULL,
            created_at TEXT NOT NULL,
            published_at TEXT,
            PRIMARY KEY (model_id, revision)
          );
        `),
    },
    appsMigration,
    combosMigration,
  ],
};
