// lowbit plan then lowbit quantize --plan on stories260K, from a sensitivity report measured here
// on the real weights (native quantize → dequantize, squared error): the written file has exactly
// the plan's types and the plan's size, and records the plan.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { listPlans, saveSensitivityReport } from '../../main/core/db/plans-store.js';
import { Store } from '../../main/core/db/store.js';
import { kvString, readGguf } from '../../main/core/gguf/reader.js';
import { importModel } from '../../main/core/model/import.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import { runOperation } from '../../main/core/operations/runner.js';
import type { PlanFile } from '../../main/contract/sensitivity.js';
import { roundTripSensitivity } from '../helpers/roundtrip-sensitivity.js';
import { repoRoot, sharedPath, skipNoShared } from '../helpers/shared.js';

const run = promisify(execFile);
const cli = ['--import', 'tsx', path.join(repoRoot, 'main', 'cli', 'lowbit.ts')];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-plan-'));

describe('lowbit plan and quantize --plan', { skip: skipNoShared }, () => {
  const model = sharedPath('models', 'stories260K.gguf');

  it('writes a file with exactly the planned types and size', async () => {
    const dir = tmp();
    const report = roundTripSensitivity(model);
    const q = report.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
    assert.deepEqual(q.candidates.map((c) => c.type), ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'Q8_0', 'F16'], 'only 32-wide blocks fit 64-wide rows');
    assert.ok(q.candidates.find((c) => c.type === 'Q8_0')!.error < q.candidates.find((c) => c.type === 'Q4_0')!.error);
    fs.writeFileSync(path.join(dir, 'sens.json'), JSON.stringify(report));
    const db = path.join(dir, 'studio.db');
    const out = await run(process.execPath, [...cli, 'plan', model, '--sensitivity', path.join(dir, 'sens.json'), '--target-size', '300KiB', '--pin', 'blk.*.attn_v.weight=Q8_0', '-o', path.join(dir, 'plan.json'), '--db', db]);
    assert.match(out.stdout, /file size +299\.\d KiB/);
    assert.match(out.stdout, /recorded as plan 1/);
    const plan: PlanFile = JSON.parse(fs.readFileSync(path.join(dir, 'plan.json'), 'utf8'));
    assert.ok(plan.bytes <= 300 * 1024 && plan.bytes > 290 * 1024, `${plan.bytes}`);
    assert.ok(new Set(Object.values(plan.tensors)).size >= 3, `a mixed plan: ${JSON.stringify(plan.tensors)}`);
    for (let l = 0; l < 5; l++) assert.equal(plan.tensors[`blk.${l}.attn_v.weight`], 'Q8_0');

    const gguf = path.join(dir, 'q.gguf');
    await run(process.execPath, [...cli, 'quantize', model, '--plan', path.join(dir, 'plan.json'), '--method', 'rtn', '-o', gguf, '--no-record']);
    assert.equal(fs.statSync(gguf).size, plan.bytes);
    const f = readGguf(gguf);
    for (const [name, type] of Object.entries(plan.tensors)) assert.equal(f.tensors.find((t) => t.name === name)!.type.name, type, name);
    assert.equal(f.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')!.type.name, 'F32');
    assert.equal(JSON.parse(kvString(f, 'lowbit.plan')!)['blk.0.attn_v.weight'], 'Q8_0');
    const params = JSON.parse(kvString(f, 'lowbit.params')!);
    assert.deepEqual(params.plan.target, { kind: 'bytes', value: 300 * 1024 });
    assert.equal(params.plan.predictedKl, plan.predictedKl);
    assert.equal(kvString(f, 'lowbit.preset'), undefined);

    const store = new Store(db);
    assert.equal(listPlans(store)[0].plan.bytes, plan.bytes);
    store.close();
  });

  it('plans from a report recorded in the database (--run) and meets a bits-per-weight target', async () => {
    const dir = tmp();
    const db = path.join(dir, 'studio.db');
    const store = new Store(db);
    const runId = store.startRun({ kind: 'sensitivity', params: {} });
    saveSensitivityReport(store, runId, roundTripSensitivity(model));
    store.close();
    const { stdout } = await run(process.execPath, [...cli, 'plan', model, '--run', String(runId), '--target-bpw', '7.5', '--json', '--db', db]);
    const plan = JSON.parse(stdout) as PlanFile & { planId: number };
    assert.ok(plan.bitsPerWeight <= 7.5 && plan.bitsPerWeight > 7, `${plan.bitsPerWeight}`);
    const again = new Store(db);
    assert.equal(listPlans(again, { sensitivityRunId: runId }).length, 1);
    again.close();
    await assert.rejects(run(process.execPath, [...cli, 'plan', model, '--run', String(runId), '--target-bpw', '5', '--db', db]), /below the smallest plan the constraints allow, 6\.\d+ bpw/);
    await assert.rejects(run(process.execPath, [...cli, 'plan', model, '--target-bpw', '5', '--no-record']), /--sensitivity FILE or --run ID/);
  });

  it('refuses plans made for another model, types that do not fit, and a plan together with a preset', async () => {
    const dir = tmp();
    const desc = importModel(model);
    const plan = planFromSensitivity(roundTripSensitivity(model), { targetBpw: 8, model: desc });
    const out = path.join(dir, 'x.gguf');
    const q = (p: PlanFile, extra: object = {}) => runOperation({ op: 'quantize', model, target: { plan: p, ...extra }, out, method: 'rtn' });
    await assert.rejects(q(plan, { preset: 'Q4_0' }), /either --type PRESET or --plan PLAN\.json \(one of them\)/);
    await assert.rejects(q(plan, { pure: true }), /--pure applies to presets/);
    const renamed = { ...plan, tensors: { ...plan.tensors, 'blk.9.attn_q.weight': 'Q8_0' } };
    await assert.rejects(q(renamed), /names tensor blk\.9\.attn_q\.weight, which .* does not have/);
    const reshaped = { ...plan, ne: { ...plan.ne, 'blk.0.attn_q.weight': [128, 32] } };
    await assert.rejects(q(reshaped), /blk\.0\.attn_q\.weight is \[64, 64\] in .* but \[128, 32\] in the plan/);
    await assert.rejects(q({ ...plan, tensors: { ...plan.tensors, 'blk.0.attn_q.weight': 'Q4_K' } }), /rows of 64 values are not a multiple of Q4_K's block size 256/);
    const { ['output.weight']: _dropped, ...partial } = plan.tensors;
    await assert.rejects(q({ ...plan, tensors: partial }), /no type for 1 quantizable tensor\(s\) .*output\.weight/);
    await assert.rejects(q({ ...plan, tensors: { ...plan.tensors, 'blk.0.attn_norm.weight': 'Q8_0' } }), /not quantizable/);
    assert.equal(fs.existsSync(out), false);
    await assert.rejects(run(process.execPath, [...cli, 'quantize', model, '-o', out, '--no-record']), /either --type PRESET or --plan PLAN\.json/);
  });
});
