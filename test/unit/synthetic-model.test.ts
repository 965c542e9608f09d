// The fixture generator writes loadable, labelled synthetic models.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { importModel } from '../../main/core/model/import.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';

describe('synthetic model generator', () => {
  for (const type of ['F32', 'F16'] as const)
    it(`writes a ${type} Llama-shaped GGUF that the engine runs`, async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-syn-')), 'm.gguf');
      const shape = { ...SHAPES.tiny, nVocab: 600 };
      await writeSyntheticGguf(out, shape, { type, seed: 3 });
      const f = readGguf(out);
      assert.equal(f.kv.get('lowbit.synthetic')!.value, true);
      assert.equal(f.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.type.name, type);
      const d = importModel(out);
      assert.equal(d.hparams.nVocab, 600);
      const ids = tokenizerForModel(d).encode('hello');
      const logits = native().logits(openModel(d), Int32Array.from(ids), 1);
      assert.equal(logits.length, ids.length * 600);
      assert.ok(logits.every(Number.isFinite));
    });
});
