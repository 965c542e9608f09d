// Every type we write loads in llama.cpp, and llama.cpp's logits on a fixed prompt agree with our
// evaluator's on the same file. Tolerance: mean KL(llama.cpp || ours) per position below 0.01
// nats (llama.cpp multiplies quantized weights with 8-bit-quantized activations and keeps an F16
// KV cache, we compute in F32).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaLogits } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

// preset (with --pure) → the ggml type every quantizable tensor gets
const TYPES: Record<string, string> = {
  F16: 'F16', BF16: 'BF16', Q8_0: 'Q8_0', Q4_0: 'Q4_0', Q4_1: 'Q4_1', Q5_0: 'Q5_0', Q5_1: 'Q5_1', IQ4_NL: 'IQ4_NL',
  Q2_K: 'Q2_K', Q3_K_S: 'Q3_K', Q4_K_S: 'Q4_K', Q5_K_S: 'Q5_K', Q6_K: 'Q6_K', IQ4_XS: 'IQ4_XS', MXFP4_MOE: 'MXFP4',
};

describe('exported files load in llama.cpp with the logits we compute', { skip: skipNoShared }, () => {
  const dir = skipNoShared ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-rt-'));
  for (const [preset, type] of Object.entries(TYPES)) {
    it(type, async () => {
      const out = path.join(dir, `${type}.gguf`);
      await runOperation({ op: 'quantize', model: sharedPath('golden', 'synth256-f32.gguf'), target: { preset, pure: true }, out, method: 'rtn' });
      assert.ok(readGguf(out).tensors.some((t) => t.type.name === type), `no ${type} tensor written`);
      const desc = importModel(out);
      const tokens = tokenizerForModel(desc).encode('Once upon a time, there was a little dog who liked to run in the park.');
      const ours = native().logits(openModel(desc), Int32Array.from(tokens), 2);
      const theirs = await llamaLogits(out, tokens, desc.hparams.nVocab);
      const cmp = compareLogits(theirs, ours, desc.hparams.nVocab);
      assert.ok(cmp.meanKl < 0.01, `${type}: mean KL ${cmp.meanKl}, max relative logit difference ${cmp.maxRelDiff}`);
    });
  }
});
