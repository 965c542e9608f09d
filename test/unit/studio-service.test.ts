// The studio's jobs on a real model: calibrate, measure sensitivity, plan, quantize, evaluate,
// compare and export, through the same service the hosts expose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { JobInfo } from '../../main/contract/api.js';
import { validateCall } from '../../main/contract/validate.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { Store } from '../../main/core/db/store.js';
import { getPlan, loadSensitivityReport } from '../../main/core/db/plans-store.js';
import { readGguf } from '../../main/core/gguf/reader.js';
import { importModel } from '../../main/core/model/import.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import { studioService } from '../../main/core/studio/service.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { syntheticReport } from '../helpers/synthetic-report.js';

describe('studio service on stories260K', { skip: skipNoShared }, () => {
  it('runs the whole flow as jobs with real numbers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-service-'));
    const store = new Store(path.join(dir, 'studio.db'));
    const api = studioService(store);
    const model = sharedPath('models', 'stories260K.gguf');
    const text = sharedPath('data', 'tinystories_val.txt');
    const p = await api.createProject('s');
    const finish = async (j: JobInfo) => {
      await api.idle();
      const done = (await api.listJobs(p.id)).find((x) => x.id === j.id)!;
      assert.equal(done.status, 'done', `${done.kind}: ${done.error}`);
      return done;
    };

    const cal = await finish(await api.startJob({ kind: 'calibrate', projectId: p.id, model, paths: [`${text}@0:200000`], sequences: 8, length: 64, seed: 1 }));
    const [set] = await api.listTextSets(p.id);
    assert.equal(set.tokens, 8 * 64);
    assert.ok(set.params.textTokens! > 10_000, 'the whole range is tokenized');
    assert.deepEqual((cal.result as { textSets: { id: number }[] }).textSets.map((s) => s.id), [set.id]);

    const sens = await finish(await api.startJob({ kind: 'sensitivity', projectId: p.id, model, textSetId: set.id, types: ['Q4_0', 'Q8_0', 'F16'] }));
    const report = await api.sensitivity(sens.runId!);
    const q = report.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
    const err = (type: string) => q.candidates.find((c) => c.type === type)!.error;
    assert.ok(err('Q4_0') > err('Q8_0') && err('Q8_0') > err('F16') && err('F16') > 0, 'fewer bits, more error');
    assert.equal(q.activations, 8 * 64);
    // ffn_down rows are 172 wide: no 32-block type fits, F16 remains
    assert.deepEqual(report.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.candidates.map((c) => c.type), ['F16']);
    // … and the types asked for that cannot apply are listed with the reason
    assert.deepEqual(report.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.unfit, [
      { type: 'Q4_0', reason: "rows of 172 values are not a multiple of Q4_0's block size 32" },
      { type: 'Q8_0', reason: "rows of 172 values are not a multiple of Q8_0's block size 32" },
    ]);
    assert.equal(q.unfit, undefined);

    const small = await api.plan(sens.runId!, { kind: 'bpw', value: 8 }, {});
    const big = await api.plan(sens.runId!, { kind: 'bpw', value: 16 }, {});
    assert.ok(small.bitsPerWeight <= 8 && big.bitsPerWeight <= 16 && small.bytes < big.bytes && small.predictedKl > big.predictedKl);
    const pinned = await api.plan(sens.runId!, { kind: 'bpw', value: 8 }, { 'blk.0.attn_q.weight': 'F16' });
    assert.equal(pinned.tensors['blk.0.attn_q.weight'], 'F16');
    await assert.rejects(api.plan(sens.runId!, { kind: 'bpw', value: 1 }, {}), /below the smallest plan/);
    assert.ok(small.exactSize && small.bounds.minBpw < 8 && small.bounds.maxBpw === 16 && small.bounds.minBytes < small.bytes && small.bytes < small.bounds.maxBytes);
    await assert.rejects(api.plan(sens.runId!, { kind: 'bpw', value: small.bounds.minBpw * 0.99 }, {}), /below the smallest plan/);
    assert.ok((await api.plan(sens.runId!, { kind: 'bpw', value: small.bounds.minBpw }, {})).bitsPerWeight <= small.bounds.minBpw + 1e-9);

    // a saved plan is the CLI's plan (same pins, minimums, exact size) and a quantize job executes it
    const target = { kind: 'bytes' as const, value: Math.round((small.bytes + big.bytes) / 2) };
    const pins = { 'blk.1.attn_k.weight': 'Q8_0' };
    const saved = await api.savePlan(sens.runId!, target, pins);
    assert.deepEqual((await api.listPlans(p.id)).map((x) => x.id), [saved.id]);
    const cli = planFromSensitivity(loadSensitivityReport(store, sens.runId!), { targetBytes: target.value, pins, model: importModel(model) });
    const row0 = getPlan(store, saved.id)!;
    assert.deepEqual(row0.plan.tensors, cli.tensors);
    assert.equal(saved.bytes, cli.bytes);
    assert.ok(saved.bytes <= target.value && saved.pins === 1 && row0.plan.tensors['blk.1.attn_k.weight'] === 'Q8_0');
    // the operation's one validator refuses both and neither, before a job exists
    const jobsBefore = (await api.listJobs(p.id)).length;
    await assert.rejects(api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q4_0', planId: saved.id, method: 'rtn', out: path.join(dir, 'x.gguf'), textSetId: null }), /either --type PRESET or --plan PLAN\.json \(one of them\)/);
    await assert.rejects(api.startJob({ kind: 'quantize', projectId: p.id, model, type: null, method: 'rtn', out: path.join(dir, 'x.gguf'), textSetId: null }), /either --type PRESET or --plan PLAN\.json \(one of them\)/);
    await assert.rejects(api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q4_0', method: 'gptq', out: path.join(dir, 'x.gguf'), textSetId: null }), /GPTQ needs a calibration text set/);
    // an existing file needs the user's word before a job exists
    const taken = path.join(dir, 'taken.gguf');
    fs.writeFileSync(taken, 'kept');
    await assert.rejects(api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q8_0', method: 'rtn', out: taken, textSetId: null }), /taken\.gguf already exists: confirm to replace it/);
    assert.equal((await api.listJobs(p.id)).length, jobsBefore);
    await finish(await api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q8_0', method: 'rtn', out: taken, textSetId: null, overwrite: true }));
    assert.equal(fs.readFileSync(taken).subarray(0, 4).toString(), 'GGUF');
    const planned = path.join(dir, 'planned.gguf');
    const pj = await finish(await api.startJob({ kind: 'quantize', projectId: p.id, model, type: null, planId: saved.id, method: 'rtn', out: planned, textSetId: null }));
    assert.equal(fs.statSync(planned).size, saved.bytes, 'the file is exactly the planned size');
    const written = new Map(readGguf(planned).tensors.map((t) => [t.name, t.type.name]));
    for (const [name, type] of Object.entries(row0.plan.tensors)) assert.equal(written.get(name), type, name);
    const prow = (await api.listRuns(p.id)).find((r) => r.id === pj.runId)!;
    assert.equal((prow.params as { plan: { predictedKl: number } }).plan.predictedKl, saved.predictedKl);
    assert.equal((pj.result as { planId: number }).planId, saved.id);

    const out = path.join(dir, 'q8.gguf');
    const qj = await finish(await api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q8_0', method: 'rtn', out, textSetId: null }));
    const q4 = await finish(await api.startJob({ kind: 'quantize', projectId: p.id, model, type: 'Q4_0', method: 'gptq', out: path.join(dir, 'q4.gguf'), textSetId: set.id }));
    assert.ok(qj.runId && q4.runId);
    assert.equal(store.run(qj.runId!)!.project_id, p.id, 'the quantize run joins the project');

    const evalSpec = { kind: 'evaluate', projectId: p.id, model: out, reference: model, text: `${text}@300000:340000`, nCtx: 128 } as const;
    assert.throws(() => validateCall('startJob', [{ ...evalSpec, backend: 'gpu' }]), /"backend" one of cpu, webgpu, cuda, auto, or absent/);
    // cuda runs no evaluation (no CUDA forward pass), on any machine: the job falls back and its log says why
    const ev = await finish(await api.startJob({ ...evalSpec, backend: 'cuda' }));
    const r = ev.result as { ppl: number; meanKl: number; top1Agreement: number };
    assert.ok(r.ppl > 1 && r.meanKl > 0 && r.meanKl < 0.05 && r.top1Agreement > 0.9, JSON.stringify(r));
    assert.ok(ev.log.some((l) => / backend: cpu — cuda unavailable: .*falling back to the CPU$/.test(l)), ev.log.join('\n'));

    const cmp = await api.compareRuns(qj.runId!, q4.runId!);
    const row = cmp.find((c) => c.tensor === 'blk.0.attn_q.weight')!;
    assert.deepEqual([row.a!.type, row.b!.type], ['Q8_0', 'Q4_0']);
    assert.ok(row.a!.error! < row.b!.error!);

    const exported = path.join(dir, 'export.gguf');
    const preview = await api.exportRun(qj.runId!, exported);
    assert.equal(preview.bytes, fs.statSync(exported).size);
    assert.equal(readGguf(exported).tensors.length, preview.tensors);
    assert.ok(preview.metadata.some((m) => m.key === 'general.architecture' && m.value === 'llama'));
    // every run was created in the project, none adopted afterwards
    assert.deepEqual(store.runs({ limit: 100 }).filter((x) => x.project_id !== p.id), []);
    // a changed file is not exported, and nothing is left behind
    fs.appendFileSync(out, 'x');
    await assert.rejects(api.exportRun(qj.runId!, path.join(dir, 'changed.gguf')), /changed since it was written \(its sha256 differs/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('changed') || f.endsWith('.tmp')), []);
    store.close();
  });

  it('a sensitivity report made by the CLI plans in the studio, and one made in the studio plans in the CLI', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-service-'));
    const store = new Store(path.join(dir, 'studio.db'));
    const api = studioService(store);
    const model = sharedPath('models', 'stories260K.gguf');
    const text = `${sharedPath('data', 'tinystories_val.txt')}@0:100000`;
    const p = await api.createProject('both ways');
    const calibration = { text, sequences: 4, length: 64, seed: 3 };
    // the CLI's path: an operation with a store, no project
    const fromCli = await runOperation({ op: 'sensitivity', model, calibration, types: ['Q4_0', 'Q8_0'], method: 'rtn', outputErrorSequences: 0 }, { store, threads: 2 });
    const target = { kind: 'bpw' as const, value: 10 };
    const inStudio = await api.plan(fromCli.runId!, target, {});
    assert.equal((await api.sensitivity(fromCli.runId!)).tensors.length, fromCli.tensors.length);
    // the studio's path: a job in a project
    await api.startJob({ kind: 'calibrate', projectId: p.id, model, paths: [text], sequences: 4, length: 64, seed: 3 });
    await api.idle();
    const [set] = await api.listTextSets(p.id);
    const job = await api.startJob({ kind: 'sensitivity', projectId: p.id, model, textSetId: set.id, types: ['Q4_0', 'Q8_0'] });
    await api.idle();
    const runId = (await api.listJobs(p.id)).find((j) => j.id === job.id)!.runId!;
    const inCli = await runOperation({ op: 'plan', model, sensitivity: { runId }, target }, { store, record: false });
    // the same text and sampling measured twice: the same plan either way
    assert.deepEqual(inCli.plan.tensors, inStudio.tensors);
    assert.equal(inCli.plan.bytes, inStudio.bytes);
    assert.equal(inCli.planId, null, 'record: false keeps no plan');
    store.close();
  });

  it("a report whose model file is gone plans from the report's sizes; one whose model cannot be read says why", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-service-'));
    const store = new Store(path.join(dir, 'studio.db'));
    const api = studioService(store);
    const p = await api.createProject('import errors');
    const report = syntheticReport(4, 256, 512, 64);
    const write = (modelPath: string) => {
      const file = path.join(dir, `report-${path.basename(modelPath)}.json`);
      fs.writeFileSync(file, JSON.stringify({ ...report, model: { path: modelPath, bytes: 0 } }));
      return file;
    };
    const gone = await api.importSensitivity(p.id, write(path.join(dir, 'deleted.gguf')));
    const plan = await api.plan(gone.id, { kind: 'bpw', value: 6 }, {});
    assert.equal(plan.exactSize, false, 'sizes from the report');
    const broken = path.join(dir, 'broken.gguf');
    fs.writeFileSync(broken, 'GGUF but not really');
    const bad = await api.importSensitivity(p.id, write(broken));
    await assert.rejects(api.plan(bad.id, { kind: 'bpw', value: 6 }, {}), /broken\.gguf/);
    store.close();
  });
});

