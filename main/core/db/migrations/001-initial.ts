// Projects, the models they opened, text sets, and runs.
import type { Database } from 'better-sqlite3';

export const name = 'projects, models, text sets and runs';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE projects (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE TABLE models (
      id INTEGER PRIMARY KEY,
      project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      format TEXT NOT NULL,
      architecture TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      tensors TEXT NOT NULL,            -- JSON: [{name, type, ne, nbytes}]
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE INDEX models_by_project ON models(project_id);
    CREATE INDEX models_by_hash ON models(sha256);
    CREATE TABLE text_sets (
      id INTEGER PRIMARY KEY,
      project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
      purpose TEXT NOT NULL CHECK (purpose IN ('calibration', 'evaluation')),
      source_path TEXT NOT NULL,
      source_sha256 TEXT NOT NULL,
      params TEXT NOT NULL,             -- JSON: sampling parameters (sequences, length, seed, byte range)
      n_tokens INTEGER NOT NULL,
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
      model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
      kind TEXT NOT NULL,               -- eval, quantize, sensitivity, plan, export
      params TEXT NOT NULL,             -- JSON
      status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
      started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      finished_at TEXT,
      timings TEXT,                     -- JSON: seconds per stage
      results TEXT,                     -- JSON
      error TEXT
    );
    CREATE INDEX runs_by_project ON runs(project_id, started_at);
  `);
}
