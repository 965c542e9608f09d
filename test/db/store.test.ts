import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';

const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-db-')), 'studio.db');

describe('store', () => {
  it('uses WAL and marks runs left running by a dead process as interrupted', () => {
    const file = tempDb();
    const a = new Store(file);
    assert.equal(a.db.pragma('journal_mode', { simple: true }), 'wal');
    const id = a.startRun({ kind: 'eval', params: { ctx: 256 } });
    // the owning process "dies" without finishing the run (no process has this pid)
    a.db.prepare('UPDATE runs SET owner = ? WHERE id = ?').run(JSON.stringify({ pid: 999_999_999, started: Date.now() }), id);
    a.close();
    const b = new Store(file);
    assert.equal(b.interruptedAtOpen, 1);
    const run = b.run(id)!;
    assert.equal(run.status, 'interrupted');
    assert.deepEqual(run.params, { ctx: 256 });
    b.close();
  });

  it('keeps projects, runs, results and tensor statistics', () => {
    const s = new Store(':memory:');
    const p = s.createProject('  My model  ');
    assert.equal(p.name, 'My model');
    s.renameProject(p.id, 'Renamed');
    assert.equal(s.project(p.id)!.name, 'Renamed');
    const modelId = s.addModel({ projectId: p.id, path: '/m.gguf', sha256: 'ab', format: 'gguf', architecture: 'llama', bytes: 10, tensors: [] });
    assert.equal(s.addModel({ projectId: p.id, path: '/m.gguf', sha256: 'ab', format: 'gguf', architecture: 'llama', bytes: 10, tensors: [] }), modelId);
    const run = s.startRun({ kind: 'eval', params: {}, projectId: p.id, modelId });
    s.finishRun(run, 'done', { results: { ppl: 4.15 }, timings: { eval: 1.5 } });
    s.addTensorStats(run, [{ tensor: 'blk.0.attn_q.weight', layer: 0, kind: 'attn_q', type: 'Q4_0', bytes: 2304, error: 0.5, metrics: { kl: 0.01 } }]);
    assert.deepEqual(s.run(run)!.results, { ppl: 4.15 });
    assert.equal(s.runs({ projectId: p.id }).length, 1);
    assert.equal(s.tensorStats(run)[0].metrics!.kl, 0.01);
    assert.throws(() => s.createProject(' '), /needs a name/);
    s.deleteProject(p.id);
    assert.equal(s.runs({ projectId: p.id }).length, 0);
  });
});
