// Long work started from the studio (quantize, evaluate, calibrate, sensitivity): its stage,
// progress and log survive the window, so a reopened window re-attaches to it. A job links to
// the run the core records for it once that run exists.
import type { Database } from 'better-sqlite3';

export const name = 'studio jobs';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE jobs (
      id INTEGER PRIMARY KEY,
      project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
      run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
      kind TEXT NOT NULL,               -- quantize, evaluate, calibrate, sensitivity
      spec TEXT NOT NULL,               -- JSON: what was asked
      status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
      stage TEXT NOT NULL DEFAULT '',
      progress REAL NOT NULL DEFAULT 0, -- 0..1 of the current stage
      eta_s REAL,                       -- seconds left in the current stage, when known
      log TEXT NOT NULL DEFAULT '[]',   -- JSON: the last lines
      result TEXT,                      -- JSON
      error TEXT,
      started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      finished_at TEXT
    );
    CREATE INDEX jobs_by_project ON jobs(project_id, id);
  `);
}
