// A sensitivity report written to SQLite reads back equal; plans are kept and listed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { addPlan, getPlan, listPlans, loadSensitivityReport, saveSensitivityReport } from '../../main/core/db/plans-store.js';
import { Store } from '../../main/core/db/store.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import type { SensitivityReport } from '../../main/contract/sensitivity.js';

const report: SensitivityReport = {
  version: 1,
  model: { path: '/m/model.gguf', sha256: 'cd', bytes: 123456 },
  calibration: { source: 'calib.txt', sha256: 'ab', sequences: 4, length: 256, seed: 7, tokens: 1024 },
  method: 'gptq',
  fixedBytes: 2048,
  headerBytes: 4096,
  tensors: [
    {
      name: 'blk.0.attn_q.weight', layer: 0, kind: 'attn_q', ne: [256, 256], activations: 1024,
      candidates: [
        { type: 'Q4_K', bytes: 36864, error: 0.25, outputError: 0.5, kl: 0.01 },
        { type: 'Q8_0', bytes: 69632, error: 0.002, kl: 0.0001 },
      ],
    },
    {
      name: 'blk.0.ffn_down_exps.weight', layer: 0, kind: 'ffn_down_exps', ne: [256, 256, 4], activations: 1024, expertActivations: [700, 0, 300, 24],
      candidates: [{ type: 'Q4_K', bytes: 147456, error: 1.5 }],
    },
    { name: 'blk.0.ffn_up.1.weight', layer: 0, kind: 'ffn_up', expert: 1, ne: [256, 512], activations: 0, candidates: [{ type: 'Q6_K', bytes: 107520, error: 0 }] },
  ],
};

describe('sensitivity reports and plans in the store', () => {
  it('reads a report back as written, one row per tensor and type', () => {
    const s = new Store(':memory:');
    const run = s.startRun({ kind: 'sensitivity', params: {} });
    saveSensitivityReport(s, run, report);
    assert.equal(s.tensorStats(run).length, 4);
    assert.equal(s.tensorStats(run)[0].metrics!.kl, 0.01);
    assert.deepEqual(loadSensitivityReport(s, run), report);
    assert.throws(() => loadSensitivityReport(s, s.startRun({ kind: 'eval', params: {} })), /has no sensitivity report \(it is a eval run\)/);
    assert.throws(() => loadSensitivityReport(s, 999), /no such run/);
    s.close();
  });

  it('keeps plans with their headline figures and lists them by model and run', () => {
    const s = new Store(':memory:');
    const run = s.startRun({ kind: 'sensitivity', params: {} });
    saveSensitivityReport(s, run, report);
    const plan = planFromSensitivity(loadSensitivityReport(s, run), { targetBpw: 8 });
    const id = addPlan(s, { plan, sensitivityRunId: run });
    const row = getPlan(s, id)!;
    assert.deepEqual(row.plan, plan);
    assert.equal(row.sensitivityRunId, run);
    const second = addPlan(s, { plan: { ...plan, target: { kind: 'bytes', value: 500000 } } });
    assert.deepEqual(listPlans(s).map((p) => p.id), [second, id]);
    assert.deepEqual(listPlans(s, { sensitivityRunId: run }).map((p) => p.id), [id]);
    const stored = s.db.prepare('SELECT target_kind, bytes, predicted_kl FROM plans WHERE id = ?').get(id) as Record<string, unknown>;
    assert.deepEqual(stored, { target_kind: 'bpw', bytes: plan.bytes, predicted_kl: plan.predictedKl });
    s.close();
  });
});
