// Sensitivity reports (the per-tensor rows live in tensor_stats; this keeps what the report says
// about the whole run) and the plans made from them.
import type { Database } from 'better-sqlite3';

export const name = 'sensitivity reports and plans';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE sensitivity_reports (
      run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
      model TEXT NOT NULL,              -- JSON: {path, sha256?, bytes}
      calibration TEXT NOT NULL,        -- JSON: {source, sha256, sequences, length, seed, tokens}
      method TEXT NOT NULL,
      fixed_bytes INTEGER NOT NULL,
      header_bytes INTEGER
    );
    CREATE TABLE plans (
      id INTEGER PRIMARY KEY,
      project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
      model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
      sensitivity_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
      target_kind TEXT NOT NULL CHECK (target_kind IN ('bpw', 'bytes')),
      target_value REAL NOT NULL,
      plan TEXT NOT NULL,               -- JSON: the PlanFile
      bytes INTEGER NOT NULL,
      bits_per_weight REAL NOT NULL,
      predicted_kl REAL NOT NULL,
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE INDEX plans_by_model ON plans(model_id, created_at);
  `);
}
