import type { ModuleSchema } from '../store';

export const jobsSchema: ModuleSchema = {
  module: 'jobs',
  migrations: [
    {
      version: 1,
      name: 'jobs and their log lines',
      up: (db) => {
        db.exec(`
          CREATE TABLE jobs_jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            params TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled','interrupted')),
            bytes_done INTEGER NOT NULL DEFAULT 0,
            bytes_total INTEGER,
            attempt INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            error TEXT,
            result TEXT
          );
          CREATE INDEX jobs_jobs_state ON jobs_jobs(state);
          CREATE TABLE jobs_log (
            job_id TEXT NOT NULL REFERENCES jobs_jobs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            level TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (job_id, seq)
          );
        `);
      },
    },
  ],
};
