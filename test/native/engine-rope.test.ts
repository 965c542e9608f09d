// RoPE frequency base and linear scaling read from GGUF metadata: our logits equal llama.cpp's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { kv } from '../../main/core/gguf/writer.js';
import { importModel } from '../../main/core/model/import.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaLogits } from '../helpers/llama.js';
import { skipNoShared } from '../helpers/shared.js';

describe('RoPE parameters from metadata', { skip: skipNoShared }, () => {
  for (const [label, meta] of [
    ['freq_base 50000', new Map([['llama.rope.freq_base', kv.f32(50000)]])],
    ['linear scaling ×4', new Map([['llama.rope.scaling.type', kv.str('linear')], ['llama.rope.scaling.factor', kv.f32(4)]])],
  ] as const)
    it(`${label}: logits equal llama.cpp's`, async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-rope-')), 'm.gguf');
      await writeSyntheticGguf(out, SHAPES.tiny, { seed: 11, metadata: meta });
      const d = importModel(out);
      const tokens = tokenizerForModel(d).encode('One day, a little cat found a big red ball in the garden and played all afternoon.');
      const ours = native().logits(openModel(d), Int32Array.from(tokens), 1);
      const theirs = await llamaLogits(out, tokens, d.hparams.nVocab);
      const cmp = compareLogits(theirs, ours, d.hparams.nVocab);
      assert.ok(cmp.maxRelDiff < 5e-3, `max relative logit difference ${cmp.maxRelDiff}`);
      // and the parameter matters: without it the logits differ
      const plain = path.join(path.dirname(out), 'plain.gguf');
      await writeSyntheticGguf(plain, SHAPES.tiny, { seed: 11 });
      const base = native().logits(openModel(importModel(plain)), Int32Array.from(tokens), 1);
      assert.ok(compareLogits(base, ours, d.hparams.nVocab).maxRelDiff > 1e-3, 'the RoPE setting had no effect');
    });
});
