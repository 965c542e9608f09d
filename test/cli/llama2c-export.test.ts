// llama2.c checkpoints exported to GGUF by our writer: llama.cpp tokenizes like our readers and
// computes our logits, for a vocabulary with byte fallback and for one without.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaCpp, llamaLogits } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-l2cx-'));

/** One <unk> for each run of them: llama.cpp's unigram tokenizer writes a run of unknown characters so. */
function mergeUnkRuns(ids: number[], unk: number) {
  return ids.filter((id, i) => id !== unk || ids[i - 1] !== unk);
}

/** Exports `src` with our writer, then checks that llama.cpp tokenizes like our reader and computes our logits. */
async function checkInLlamaCpp(src: string, preset: string, nVocab: number, unkRuns?: { unk: number }) {
  const out = path.join(tmp(), 'export.gguf');
  await runOperation({ op: 'quantize', model: src, target: { preset }, out, method: 'rtn' });
  const ours = tokenizerForModel(importModel(src));
  const readBack = tokenizerForModel(importModel(out));
  const model = await (await llamaCpp()).loadModel({ modelPath: out });
  try {
    const text = fs.readFileSync(sharedPath('data', 'tinystories_val_200k.txt'), 'utf8').slice(0, 30_000);
    for (const t of [text, 'Hello, World!', '  two  spaces', 'ünïcode 🦙 and\na newline']) {
      const ids = ours.encode(t, { addBos: false });
      assert.deepEqual(readBack.encode(t, { addBos: false }), ids, 'our reader of the exported file');
      assert.deepEqual(unkRuns ? mergeUnkRuns(ids, unkRuns.unk) : ids, [...model.tokenize(t)], JSON.stringify(t.slice(0, 30)));
    }
  } finally {
    await model.dispose();
  }
  const tokens = ours.encode('Once upon a time there was a little bird who loved to sing.');
  const a = native().logits(openModel(importModel(out)), Int32Array.from(tokens), 2);
  const b = await llamaLogits(out, tokens, nVocab);
  const cmp = compareLogits(b, a, nVocab);
  assert.ok(cmp.meanKl < 0.01, `mean KL ${cmp.meanKl}`);
}

describe('llama2.c → GGUF export', { skip: skipNoShared }, () => {
  it('stories260K.bin + tok512.bin (byte fallback): same token ids and logits in llama.cpp', async () => {
    await checkInLlamaCpp(sharedPath('models', 'stories260K.bin'), 'Q8_0', 512);
  });

  it('babyllama + tok105.model (no byte tokens, written as a unigram vocabulary): same token ids and logits in llama.cpp', async () => {
    await checkInLlamaCpp(sharedPath('models', 'babyllama-tok105', 'model5000.bin'), 'F32', 105, { unk: 0 });
  });
});
