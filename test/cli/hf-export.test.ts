// Hugging Face models exported to GGUF: llama.cpp loads them, tokenizes like us (byte-level BPE
// from a real tokenizer.json), and computes the logits our engine computes on the HF folder
// itself (which exercises the q/k RoPE permutation for llama).
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
import { HfArch, TOKENIZERS, writeSyntheticHf } from '../fixtures/synthetic-hf.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { llamaCpp, llamaLogits } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

const TEXT_TRICKY = ["Hello world, it's 2026!", '  many   spaces\n\n\tand tabs', 'digits 1234567 and 3.14159', '東京 and emoji 🦙🚀', "don't won't I'll we've", ''];

describe('Hugging Face → GGUF export', { skip: skipNoShared }, () => {
  const cases: Array<[HfArch, keyof typeof TOKENIZERS, number]> = [
    ['llama', 'llama3', 128256],
    ['qwen2', 'qwen3', 151669],
    ['qwen3', 'qwen3', 151669],
  ];
  for (const [arch, tokName, nVocab] of cases)
    it(`${arch} with the ${tokName} tokenizer`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-hfx-'));
      const hf = path.join(dir, 'hf');
      writeSyntheticHf(hf, { nVocab, nEmbd: 64, nFf: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nCtx: 512 }, { arch, dtype: 'F16', seed: 7, tokenizerDir: TOKENIZERS[tokName] });
      const out = path.join(dir, 'model.gguf');
      await runOperation({ op: 'quantize', model: hf, target: { preset: 'F16' }, out, method: 'rtn' });
      const gguf = readGguf(out);
      assert.equal(gguf.kv.get('general.architecture')!.value, arch);
      assert.equal(gguf.kv.get('tokenizer.ggml.model')!.value, 'gpt2');

      // tokenization: llama.cpp on the GGUF = our GGUF BPE tokenizer = the HF tokenizer.json
      const hfDesc = importModel(hf);
      const hfTok = tokenizerForModel(hfDesc);
      const ggufTok = tokenizerForModel(importModel(out));
      const model = await (await llamaCpp()).loadModel({ modelPath: out });
      const text = fs.readFileSync(sharedPath('data', 'wikitext2_test.txt'), 'utf8').slice(0, 60_000);
      try {
        for (const t of [...TEXT_TRICKY, text]) {
          const theirs = [...model.tokenize(t)];
          assert.deepEqual(ggufTok.encode(t, { addBos: false }), theirs, `GGUF tokenizer vs llama.cpp on ${JSON.stringify(t.slice(0, 40))}`);
          assert.deepEqual(hfTok.encode(t, { addBos: false }), theirs, `tokenizer.json vs llama.cpp on ${JSON.stringify(t.slice(0, 40))}`);
        }
      } finally {
        await model.dispose();
      }

      // logits: llama.cpp on the exported GGUF vs our engine on the HF folder
      const tokens = hfTok.encode('Once upon a time, the quick brown fox jumped over the lazy dog.');
      const ours = native().logits(openModel(hfDesc), Int32Array.from(tokens), 2);
      const theirs = await llamaLogits(out, tokens, nVocab);
      const cmp = compareLogits(theirs, ours, nVocab);
      assert.ok(cmp.maxRelDiff < 5e-3, `${arch}: max relative logit difference ${cmp.maxRelDiff} (mean KL ${cmp.meanKl})`);
    });
});
