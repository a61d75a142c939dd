import type { ModuleSchema } from '../store';

export const provisionSchema: ModuleSchema = {
  module: 'provision',
  migrations: [
    {
      version: 1,
      name: 'known hosts, flash runs and their boxes',
      up: (db) =>
        db.exec(`
          CREATE TABLE provision_known_hosts (
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            key_type TEXT NOT NULL,
            key BLOB NOT NULL,
            fingerprint TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            trusted_at TEXT NOT NULL,
            PRIMARY KEY (host, port)
          );
          CREATE TABLE provision_runs (
            id TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL,
            bundle_file TEXT NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            bundle_size INTEGER NOT NULL,
            join_spec TEXT NOT NULL,
            cluster_id TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
          );
          -- One row per box of a run; steps is the persisted state machine (JSON), credentials are sealed in the vault.
          CREATE TABLE provision_boxes (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES provision_runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            target TEXT NOT NULL,
            username TEXT NOT NULL,
            credentials BLOB NOT NULL,
            label_serial TEXT,
            node_name TEXT,
            role TEXT,
            state TEXT NOT NULL,
            steps TEXT NOT NULL,
            host_key TEXT,
            hardware TEXT,
            checks TEXT NOT NULL,
            seat INTEGER,
            serial TEXT,
            error TEXT,
            error_step TEXT,
            facts TEXT NOT NULL,
            job_id TEXT,
            updated_at TEXT NOT NULL
          );
          CREATE INDEX provision_boxes_run ON provision_boxes(run_id, position);
          CREATE INDEX provision_boxes_job ON provision_boxes(job_id);
        `),
    },
  ],
};
