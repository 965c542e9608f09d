// Our forward pass against llama.cpp's (node-llama-cpp) on the same tokens of the same file, and
// our SIMD path against our scalar reference.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { importModel } from '../../main/core/model/import.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaLogits } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { initialLevel, SIMD_LEVELS, useScalar, useSimdLevel } from './simd.js';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.';

describe('forward pass', { skip: skipNoShared }, () => {
  after(() => native().testing.setSimdLevel(initialLevel));

  for (const file of ['golden/stories260K-f32.gguf', 'golden/stories260K-pure-Q8_0.gguf', 'golden/synth256-recipe-Q4_K_M.gguf']) {
    it(`logits of ${file} equal llama.cpp's`, async () => {
      const desc = importModel(sharedPath(...file.split('/')));
      const tokens = tokenizerForModel(desc).encode(PROMPT);
      const ours = native().logits(openModel(desc), Int32Array.from(tokens), 2);
      const V = desc.hparams.nVocab;
      const theirs = await llamaLogits(desc.path, tokens, V);
      const cmp = compareLogits(ours, theirs, V);
      if (file.includes('f32')) {
        // llama.cpp keeps its KV cache in F16: F32 files agree to that precision.
        assert.ok(cmp.maxRelDiff < 5e-3, `max |Δlogit| / range = ${cmp.maxRelDiff}`);
      } else {
        // quantized weights: llama.cpp multiplies them with 8-bit-quantized activations
        assert.ok(cmp.meanKl < 0.01, `mean KL(llama.cpp || ours) = ${cmp.meanKl}`);
        // synth256's random weights give near-tied logits, so argmax agreement is only checked on the real model
        if (file.includes('stories')) assert.ok(cmp.top1 >= 0.95, `argmax agreement ${cmp.top1}`);
      }
    });
  }

  for (const level of SIMD_LEVELS)
    it(`${level} and scalar paths agree, and thread counts do not change results`, (t) => {
      const desc = importModel(sharedPath('golden', 'synth256-recipe-Q4_K_M.gguf'));
      const tokens = Int32Array.from(tokenizerForModel(desc).encode(PROMPT));
      const h = openModel(desc);
      useScalar();
      const scalar = native().logits(h, tokens, 1);
      if (!useSimdLevel(t, level)) return;
      const simd1 = native().logits(h, tokens, 1);
      const simd2 = native().logits(h, tokens, 2);
      assert.deepEqual(simd1, simd2);
      let maxDiff = 0;
      for (let i = 0; i < scalar.length; i++) maxDiff = Math.max(maxDiff, Math.abs(scalar[i] - simd1[i]));
      assert.ok(maxDiff < 1e-3, `scalar vs ${level} differ by ${maxDiff}`);
    });
});
