// llama2.c checkpoints exported to GGUF by our writer: llama.cpp tokenizes like our readers and
// computes our logits; vocabularies llama.cpp cannot load are refused with a clear error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { importModel } from '../../main/core/model/import.js';
import { quantizeWithPreset } from '../../main/core/quantize-preset.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaCpp, llamaLogits } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-l2cx-'));

describe('llama2.c → GGUF export', { skip: skipNoShared }, () => {
  it('stories260K.bin + tok512.bin: same token ids and logits in llama.cpp', async () => {
    const out = path.join(tmp(), 'stories.gguf');
    const src = sharedPath('models', 'stories260K.bin');
    await quantizeWithPreset({ model: src, preset: 'Q8_0', out });
    const ours = tokenizerForModel(importModel(src));
    const model = await (await llamaCpp()).loadModel({ modelPath: out });
    try {
      const text = fs.readFileSync(sharedPath('data', 'tinystories_val_200k.txt'), 'utf8').slice(0, 30_000);
      for (const t of [text, 'Hello, World!', '  two  spaces', 'ünïcode 🦙'])
        assert.deepEqual(ours.encode(t, { addBos: false }), [...model.tokenize(t)], JSON.stringify(t.slice(0, 30)));
    } finally {
      await model.dispose();
    }
    const tokens = ours.encode('Once upon a time there was a little bird who loved to sing.');
    const a = native().logits(openModel(importModel(out)), Int32Array.from(tokens), 2);
    const b = await llamaLogits(out, tokens, 512);
    const cmp = compareLogits(b, a, 512);
    assert.ok(cmp.meanKl < 0.01, `mean KL ${cmp.meanKl}`);
  });

  it('refuses babyllama, whose SentencePiece vocabulary llama.cpp cannot load', async () => {
    const out = path.join(tmp(), 'babyllama.gguf');
    await assert.rejects(
      quantizeWithPreset({ model: sharedPath('models', 'babyllama-tok105', 'model5000.bin'), preset: 'F32', out }),
      /no byte tokens and no newline token, which llama\.cpp needs/,
    );
    assert.equal(fs.existsSync(out), false);
  });
});
