// Per-tensor statistics of a run: one row per (tensor, candidate type), with the tensor's
// layer, kind and calibration activation count so unreached experts can be flagged.
import type { Database } from 'better-sqlite3';

export const name = 'per-tensor statistics';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE tensor_stats (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      tensor TEXT NOT NULL,
      layer INTEGER,                    -- NULL for tensors outside the blocks (token_embd, output)
      kind TEXT NOT NULL,               -- attn_q, ffn_down, expert.3.ffn_up, …
      type TEXT NOT NULL,               -- ggml type this row measures
      bytes INTEGER NOT NULL,
      error REAL,                       -- Hessian-weighted quantization error
      activations INTEGER,              -- calibration tokens that reached the tensor
      metrics TEXT,                     -- JSON: anything else (kl, mse, outliers …)
      UNIQUE (run_id, tensor, type)
    );
    CREATE INDEX tensor_stats_by_run ON tensor_stats(run_id);
    ALTER TABLE runs ADD COLUMN text_set_id INTEGER REFERENCES text_sets(id) ON DELETE SET NULL;
  `);
}
