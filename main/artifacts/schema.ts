import type { ModuleSchema } from '../store';

export const artifactsSchema: ModuleSchema = {
  module: 'artifacts',
  migrations: [
    {
      version: 1,
      name: 'artifacts and the blobs they reference',
      up: (db) =>
        db.exec(`
          CREATE TABLE artifacts_artifacts (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('image','iso','runtime','driver','lightapp')),
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            platform TEXT,
            source TEXT NOT NULL,
            metadata TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (kind, digest)
          );
          CREATE TABLE artifacts_blob_refs (
            artifact_id TEXT NOT NULL REFERENCES artifacts_artifacts(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            PRIMARY KEY (artifact_id, digest)
          );
          CREATE INDEX artifacts_blob_refs_digest ON artifacts_blob_refs(digest);
        `),
    },
  ],
};
