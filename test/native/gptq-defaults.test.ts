// GPTQ's defaults live in the engine only: gptqDefaults() reports GptqOptions' member initialisers,
// and every GPTQ call (gptqQuantize, quantizeSequential, sensitivity) reads its options through one
// parser, so that a field left out and the default given explicitly give the same bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { calibrationTokens, engineModel, outputJobs } from './engine-jobs.js';
import { correlatedActivations, xtx } from './gptq-helpers.js';

const DOCUMENTED = { damp: 0.01, blockSize: 256, actOrder: false, qep: false, qepAlpha: 0.5, qepLambda: 0.01, subblockRefit: true };

function explicitDefaults() {
  const { qep: _, ...d } = native().gptqDefaults();
  return d;
}

describe('GPTQ defaults', () => {
  it('gptqDefaults() reports the documented values', () => {
    assert.deepEqual(native().gptqDefaults(), DOCUMENTED);
  });

  const rows = 32, cols = 512, tokens = 1024;
  const W = correlatedActivations(rows, cols, 5);
  const H = xtx(correlatedActivations(tokens, cols, 9), tokens, cols);

  for (const type of ['Q4_0', 'Q4_K', 'Q3_K'])
    it(`${type}: gptqQuantize with no options equals gptqQuantize with gptqDefaults() given`, () => {
      const implicit = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens });
      const explicit = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens, ...explicitDefaults() });
      assert.deepEqual(Buffer.from(explicit.data), Buffer.from(implicit.data));
      assert.equal(explicit.error, implicit.error);
      assert.equal(implicit.damp, DOCUMENTED.damp);
      // and the fields are read: another value changes the result
      const other = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens, actOrder: true });
      assert.notDeepEqual(Buffer.from(other.data), Buffer.from(implicit.data));
    });

  it('QEP: qepAlpha and qepLambda left out equal the defaults given', () => {
    const hdelta = xtx(correlatedActivations(tokens, cols, 11), tokens, cols).map((v) => v * 1e-3);
    const o = { type: 'Q4_0', weights: W, rows, cols, hessian: H, samples: tokens, qep: { hdelta } };
    const implicit = native().gptqQuantize(o);
    const explicit = native().gptqQuantize({ ...o, qepAlpha: DOCUMENTED.qepAlpha, qepLambda: DOCUMENTED.qepLambda });
    assert.deepEqual(Buffer.from(explicit.data), Buffer.from(implicit.data));
    assert.equal(implicit.qepLambda, DOCUMENTED.qepLambda);
    assert.equal(native().gptqQuantize({ ...o, qepLambda: 0.2 }).qepLambda, 0.2);
  });

  it('an option of the wrong type is refused, not read as its default', () => {
    const o = { type: 'Q4_0', weights: W, rows, cols, hessian: H };
    assert.throws(() => native().gptqQuantize({ ...o, damp: '0.1' as unknown as number }), /damp must be a number/);
    assert.throws(() => native().gptqQuantize({ ...o, actOrder: 1 as unknown as boolean }), /actOrder must be a boolean/);
    assert.throws(() => native().gptqQuantize({ ...o, qep: { hdelta: H, alpha: 0.3 } as { hdelta: Float64Array } }), /qepAlpha/);
  });
});

describe('GPTQ defaults in the block-by-block calls', { skip: skipNoShared }, () => {
  const model = engineModel(sharedPath('golden', 'synth256-f32.gguf'));
  const tokens = calibrationTokens(model, 4 * 64, 3);

  it('quantizeSequential with no GPTQ options writes the same file as with gptqDefaults() given', async () => {
    const handle = openModel(model);
    try {
      const files = [];
      for (const given of [{}, { ...explicitDefaults(), qep: DOCUMENTED.qep }]) {
        const out = outputJobs(model, 'Q4_K');
        const r = await native().quantizeSequential(handle, tokens, out.jobs, out.path, { seqLen: 64, threads: 2, ...given }).promise;
        assert.ok(r.tensors.every((t) => t.error !== null), 'measure is on by default');
        files.push(fs.readFileSync(out.path));
      }
      assert.ok(files[0].equals(files[1]));
    } finally {
      native().closeModel(handle);
    }
  });

  it('sensitivity with gptq and no GPTQ options measures what it does with gptqDefaults() given', async () => {
    const handle = openModel(model);
    try {
      const o = { seqLen: 64, threads: 2, types: ['Q4_0', 'Q4_K'], gptq: true };
      const implicit = await native().sensitivity(handle, tokens, o).promise;
      const { qepAlpha: _a, qepLambda: _l, ...gptq } = explicitDefaults();
      const explicit = await native().sensitivity(handle, tokens, { ...o, ...gptq }).promise;
      assert.deepEqual(explicit, implicit);
      assert.throws(() => native().sensitivity(handle, tokens, { ...o, blockSize: 'big' as unknown as number }), /blockSize must be a number/);
    } finally {
      native().closeModel(handle);
    }
  });
});
