// Each migration is tested the same way: migrate to N−1, insert data, migrate to N, assert.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { describe, it } from 'node:test';

import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../main/core/db/migrate.js';

const tables = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('migrations', () => {
  it('are numbered 1..N and the latest is applied by default', () => {
    const db = new Database(':memory:');
    migrate(db);
    assert.equal(schemaVersion(db), LATEST_VERSION);
    assert.equal(MIGRATIONS.length, LATEST_VERSION);
  });

  it('001 creates projects, models, text sets and runs', () => {
    const db = new Database(':memory:');
    migrate(db, 0);
    assert.deepEqual(tables(db), []);
    migrate(db, 1);
    assert.deepEqual(tables(db), ['models', 'projects', 'runs', 'text_sets']);
    db.prepare(`INSERT INTO projects (name) VALUES ('p')`).run();
    db.prepare(`INSERT INTO runs (project_id, kind, params, status) VALUES (1, 'eval', '{}', 'running')`).run();
    assert.throws(() => db.prepare(`INSERT INTO runs (kind, params, status) VALUES ('eval', '{}', 'bogus')`).run(), /CHECK/);
  });

  it('002 keeps existing runs and adds per-tensor statistics', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 1);
    db.prepare(`INSERT INTO projects (name) VALUES ('p')`).run();
    db.prepare(`INSERT INTO runs (project_id, kind, params, status) VALUES (1, 'eval', '{"ctx":256}', 'done')`).run();
    migrate(db, 2);
    const run = db.prepare('SELECT * FROM runs').get() as Record<string, unknown>;
    assert.equal(run.params, '{"ctx":256}');
    assert.equal(run.text_set_id, null);
    db.prepare(`INSERT INTO tensor_stats (run_id, tensor, layer, kind, type, bytes) VALUES (1, 'blk.0.attn_q.weight', 0, 'attn_q', 'Q4_0', 2304)`).run();
    assert.throws(
      () => db.prepare(`INSERT INTO tensor_stats (run_id, tensor, layer, kind, type, bytes) VALUES (1, 'blk.0.attn_q.weight', 0, 'attn_q', 'Q4_0', 1)`).run(),
      /UNIQUE/,
    );
    db.prepare('DELETE FROM runs').run();
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tensor_stats').get() as { n: number }).n, 0);
  });

  it('003 keeps models and adds their file modification time', () => {
    const db = new Database(':memory:');
    migrate(db, 2);
    db.prepare(`INSERT INTO models (path, sha256, format, architecture, bytes, tensors) VALUES ('/m.gguf', 'ab', 'gguf', 'llama', 10, '[]')`).run();
    migrate(db, 3);
    const m = db.prepare('SELECT * FROM models').get() as Record<string, unknown>;
    assert.equal(m.sha256, 'ab');
    assert.equal(m.mtime_ms, null);
    db.prepare('UPDATE models SET mtime_ms = 123').run();
    assert.equal((db.prepare('SELECT mtime_ms FROM models').get() as { mtime_ms: number }).mtime_ms, 123);
  });

  it('004 keeps runs and adds jobs that link to them', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 3);
    db.prepare(`INSERT INTO projects (name) VALUES ('p')`).run();
    db.prepare(`INSERT INTO runs (project_id, kind, params, status) VALUES (1, 'quantize', '{}', 'done')`).run();
    migrate(db, 4);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n, 1);
    db.prepare(`INSERT INTO jobs (project_id, run_id, kind, spec, status) VALUES (1, 1, 'quantize', '{}', 'running')`).run();
    const job = db.prepare('SELECT * FROM jobs').get() as Record<string, unknown>;
    assert.deepEqual([job.progress, job.log, job.stage], [0, '[]', '']);
    assert.throws(() => db.prepare(`INSERT INTO jobs (kind, spec, status) VALUES ('x', '{}', 'bogus')`).run(), /CHECK/);
    db.prepare('DELETE FROM runs').run();
    assert.equal((db.prepare('SELECT run_id FROM jobs').get() as { run_id: number | null }).run_id, null);
    db.prepare('DELETE FROM projects').run();
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n, 0);
  });

  it('refuses a database from a newer studio', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    assert.throws(() => migrate(db), /newer than this Lowbit Studio understands/);
  });

  it('005 keeps runs and adds sensitivity reports and plans', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 4);
    db.prepare(`INSERT INTO runs (kind, params, status) VALUES ('sensitivity', '{}', 'done')`).run();
    migrate(db, 5);
    assert.equal((db.prepare('SELECT kind FROM runs').get() as { kind: string }).kind, 'sensitivity');
    db.prepare(`INSERT INTO sensitivity_reports (run_id, model, calibration, method, fixed_bytes) VALUES (1, '{}', '{}', 'rtn', 10)`).run();
    db.prepare(
      `INSERT INTO plans (sensitivity_run_id, target_kind, target_value, plan, bytes, bits_per_weight, predicted_kl) VALUES (1, 'bpw', 4.25, '{}', 100, 4.2, 0.01)`,
    ).run();
    assert.throws(
      () => db.prepare(`INSERT INTO plans (target_kind, target_value, plan, bytes, bits_per_weight, predicted_kl) VALUES ('bits', 1, '{}', 1, 1, 1)`).run(),
      /CHECK/,
    );
    db.prepare('DELETE FROM runs').run();
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM sensitivity_reports').get() as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT sensitivity_run_id FROM plans').get() as { sensitivity_run_id: number | null }).sensitivity_run_id, null);
  });

  it('006 keeps runs and jobs, adds their owner, and starts the id counters at the highest ids', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 5);
    db.prepare(`INSERT INTO projects (id, name) VALUES (7, 'p')`).run();
    db.prepare(`INSERT INTO runs (id, project_id, kind, params, status) VALUES (12, 7, 'eval', '{}', 'running')`).run();
    migrate(db, 6);
    const run = db.prepare('SELECT id, status, owner FROM runs').get() as { id: number; status: string; owner: string | null };
    assert.deepEqual(run, { id: 12, status: 'running', owner: null }, 'a run from before has no owner (its process is taken as gone)');
    const counters = Object.fromEntries((db.prepare('SELECT name, last FROM id_counters').all() as { name: string; last: number }[]).map((r) => [r.name, r.last]));
    assert.deepEqual(counters, { projects: 7, models: 0, text_sets: 0, runs: 12, jobs: 0, plans: 0 });
  });
});

