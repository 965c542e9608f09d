// lowbit sensitivity on stories260K: one row per (tensor, type) with exact bytes and a
// Hessian-weighted error that falls with the bits, recorded in SQLite so that lowbit plan --run
// reads it; the error ranks the measured single-tensor KL; GPTQ's errors are below RTN's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { loadSensitivityReport } from '../../main/core/db/plans-store.js';
import { Store } from '../../main/core/db/store.js';
import { ggmlTypeByName, tensorBytes } from '../../main/core/gguf/ggml-types.js';
import { spearman } from '../../main/core/plan/rank-correlation.js';
import { measureKl } from '../../main/core/sensitivity/measure-kl.js';
import { measureSensitivity } from '../../main/core/sensitivity/measure.js';
import type { SensitivityReport } from '../../main/contract/sensitivity.js';
import { repoRoot, sharedPath, skipNoShared } from '../helpers/shared.js';

const run = promisify(execFile);
const cli = ['--import', 'tsx', path.join(repoRoot, 'main', 'cli', 'lowbit.ts')];
const model = () => sharedPath('models', 'stories260K.gguf');
const calibText = () => `${sharedPath('data', 'tinystories_val.txt')}@400067:`;
const calibration = () => ({ source: { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 }, params: { sequences: 16, length: 256, seed: 0 } });

describe('lowbit sensitivity', { skip: skipNoShared }, () => {
  it('measures every tensor × fitting type with exact bytes, records it, and lowbit plan --run uses it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-sens-'));
    const db = path.join(dir, 'studio.db');
    const json = path.join(dir, 'sens.json');
    const out = await run(process.execPath, [...cli, 'sensitivity', model(), '--calib', calibText(), '--calib-seqs', '16', '--calib-len', '256', '--types', 'Q4_0,Q5_0,Q8_0,Q4_K', '-o', json, '--db', db]);
    const runId = Number(/recorded as run (\d+)/.exec(out.stdout)![1]);
    const report: SensitivityReport = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.equal(report.calibration.tokens, 16 * 256);
    assert.equal(report.tensors.length, 2 + 5 * 7, 'token_embd, output and 7 per block');
    for (const t of report.tensors) {
      const fits = ['Q4_0', 'Q5_0', 'Q8_0', 'Q4_K', 'F16'].filter((type) => t.ne[0] % ggmlTypeByName(type)!.blockSize === 0);
      assert.deepEqual(t.candidates.map((c) => c.type), fits, `${t.name}: the types whose blocks fit its rows of ${t.ne[0]}`);
      for (const c of t.candidates) assert.equal(c.bytes, tensorBytes(ggmlTypeByName(c.type)!, t.ne), `${t.name} ${c.type} bytes`);
      const errors = t.candidates.map((c) => c.error);
      for (let i = 1; i < errors.length; i++) assert.ok(errors[i] < errors[i - 1], `${t.name}: error falls with more bits ${errors}`);
      assert.equal(t.activations, 16 * 256);
    }
    const store = new Store(db);
    const back = loadSensitivityReport(store, runId);
    assert.equal(back.tensors.length, report.tensors.length);
    assert.equal(store.tensorStats(runId).length, report.tensors.reduce((s, t) => s + t.candidates.length, 0));
    store.close();
    const plan = await run(process.execPath, [...cli, 'plan', model(), '--run', String(runId), '--target-bpw', '7', '--db', db, '--no-record']);
    assert.match(plan.stdout, /bits\/weight +[67]\.\d+/);
  });

  it('the Hessian-weighted and block-output errors rank the single-tensor KL, and GPTQ errors are below RTN errors', async () => {
    const rtn = await measureSensitivity({ model: model(), calibration: calibration(), types: ['Q4_0', 'Q8_0'], threads: 2, outputErrorSequences: 4 });
    const gptq = await measureSensitivity({ model: model(), calibration: calibration(), types: ['Q4_0', 'Q8_0'], method: 'gptq', threads: 2 });
    for (const [i, t] of rtn.tensors.entries())
      for (const [k, c] of t.candidates.entries()) {
        const g = gptq.tensors[i].candidates[k];
        // token_embd is a lookup and F16 has no grid: both are rounded in either method
        if (t.name === 'token_embd.weight' || c.type === 'F16') assert.equal(g.error, c.error);
        else assert.ok(g.error < c.error, `${t.name} ${c.type}: GPTQ ${g.error} vs RTN ${c.error}`);
      }
    await measureKl(rtn, { text: { path: sharedPath('data', 'tinystories_val_200k.txt'), end: 60_000 }, nCtx: 128, chunks: 2, threads: 2 });
    const pts = rtn.tensors.flatMap((t) => t.candidates.filter((c) => c.type !== 'F16'));
    const rho = spearman(pts.map((c) => c.error), pts.map((c) => c.kl!));
    assert.ok(rho > 0.7, `Spearman of error vs single-tensor KL: ${rho}`);
    // the block output error: measured for the block tensors only, falling with the bits
    for (const t of rtn.tensors) {
      if (t.layer === null) assert.ok(t.candidates.every((c) => c.outputError === undefined), t.name);
      else {
        const out = t.candidates.map((c) => c.outputError!);
        for (let i = 1; i < out.length; i++) assert.ok(out[i] < out[i - 1] && out[i] >= 0, `${t.name}: ${out}`);
      }
    }
    const block = pts.filter((c) => c.outputError !== undefined);
    const rhoOut = spearman(block.map((c) => c.outputError!), block.map((c) => c.kl!));
    assert.ok(rhoOut > 0.7, `Spearman of block output error vs single-tensor KL: ${rhoOut}`);
  });
});
