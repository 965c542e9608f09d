// The GPTQ pipeline and the sensitivity pass walk the model's blocks through one walker
// (native/src/core/pipeline/block_walker.cpp): progress as (done, total) after every calibration
// sequence and every tensor, rising to total; a cancel stops either; convert runs on the engine's
// thread pool and names the first bad row whatever the thread count.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { calibrationTokens, engineModel, outputJobs } from './engine-jobs.js';

function checkProgress(seen: [number, number][], expectedReports: number) {
  assert.equal(seen.length, expectedReports);
  const total = seen[0][1];
  for (let i = 0; i < seen.length; i++) {
    assert.equal(seen[i][1], total);
    if (i > 0) assert.ok(seen[i][0] >= seen[i - 1][0], `progress went back at report ${i}`);
  }
  assert.equal(seen.at(-1)![0], total);
}

describe('block walk', { skip: skipNoShared }, () => {
  const model = engineModel(sharedPath('models', 'stories260K.gguf'));
  const L = model.hparams.nLayer, sequences = 3, slots = 7;
  const tokens = calibrationTokens(model, sequences * 32 + 5, 1);

  it('sensitivity reports progress per sequence and per tensor, up to total', async () => {
    const h = openModel(model);
    try {
      const seen: [number, number][] = [];
      await native().sensitivity(h, tokens, { seqLen: 32, threads: 2, types: ['Q8_0', 'F16'] }, (d, t) => seen.push([d, t])).promise;
      // the embedding; per block each sequence and each tensor; the end
      checkProgress(seen, 1 + L * (sequences + slots) + 1);
    } finally {
      native().closeModel(h);
    }
  });

  it('the pipeline reports progress per sequence (twice a block) and per tensor, up to total', async () => {
    const h = openModel(model);
    try {
      const seen: [number, number][] = [];
      const out = outputJobs(model, 'Q8_0');
      await native().quantizeSequential(h, tokens, out.jobs, out.path, { seqLen: 32, threads: 2 }, (d, t) => seen.push([d, t])).promise;
      // per block: capture and propagate per sequence, each tensor; output.weight; the other tensors
      checkProgress(seen, L * (2 * sequences + slots) + 2);
    } finally {
      native().closeModel(h);
    }
  });

  it('a cancel during the walk stops sensitivity and the pipeline', async () => {
    const h = openModel(model);
    try {
      const job = native().sensitivity(h, tokens, { seqLen: 32, threads: 1, types: ['Q8_0'] }, () => job.cancel());
      await assert.rejects(job.promise, /cancelled/);
      const out = outputJobs(model, 'Q8_0');
      const pipeline = native().quantizeSequential(h, tokens, out.jobs, out.path, { seqLen: 32, threads: 1 }, () => pipeline.cancel());
      await assert.rejects(pipeline.promise, /cancelled/);
    } finally {
      native().closeModel(h);
    }
  });

  it('both refuse calibration without one whole sequence', async () => {
    const h = openModel(model);
    try {
      const few = tokens.subarray(0, 20);
      await assert.rejects(native().sensitivity(h, few, { seqLen: 32, threads: 1, types: ['Q8_0'] }).promise, /no complete calibration sequence of 32 tokens/);
      const out = outputJobs(model, 'Q8_0');
      await assert.rejects(native().quantizeSequential(h, few, out.jobs, out.path, { seqLen: 32, threads: 1 }).promise, /no complete calibration sequence/);
    } finally {
      native().closeModel(h);
    }
  });
});

describe('convert on the thread pool', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-convert-'));
  const ne0 = 64, nrows = 50;
  const x = Float32Array.from({ length: ne0 * nrows }, (_, i) => Math.sin(i));
  const src = path.join(dir, 'src.f32');
  const convert = async (data: Float32Array, threads: number) => {
    fs.writeFileSync(src, Buffer.from(data.buffer));
    const out = path.join(dir, `out-${threads}.bin`);
    fs.writeFileSync(out, Buffer.alloc((ne0 / 32) * 34 * nrows));
    const job = { name: 't', srcFile: src, srcOffset: 0, srcType: 'F32', ne0, nrows, dstType: 'Q8_0', dstOffset: 0 };
    await native().convertTensors(out, [job], { threads }).promise;
    return fs.readFileSync(out);
  };

  it('the same bytes at any thread count, more threads than rows included', async () => {
    const one = await convert(x, 1);
    assert.deepEqual(one, Buffer.from(native().quantize('Q8_0', x, nrows, ne0)));
    for (const threads of [2, 3, 64]) assert.ok((await convert(x, threads)).equals(one), `${threads} threads`);
  });

  it('a non-finite weight is reported at its first row whatever the thread count', async () => {
    const bad = x.slice();
    bad[7 * ne0 + 5] = NaN;
    bad[40 * ne0 + 1] = Infinity;
    for (const threads of [1, 4]) await assert.rejects(convert(bad, threads), /tensor t has a non-finite weight \(NaN\) at row 7, column 5/);
  });
});
