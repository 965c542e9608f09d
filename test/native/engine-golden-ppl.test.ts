// Our evaluator reproduces llama-perplexity's figure for every golden file (-c 256 on the 200 KB
// TinyStories text): within 0.1% for F32 files, 0.5% for quantized ones (llama.cpp multiplies
// quantized weights with 8-bit-quantized activations; we use F32 activations).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { runOperation } from '../../main/core/operations/runner.js';
import { notYetSupported } from '../helpers/golden-support.js';
import { golden, sharedPath, skipNoShared } from '../helpers/shared.js';

describe('perplexity equals llama.cpp on every golden file', { skip: skipNoShared }, () => {
  const files = skipNoShared ? {} : golden();
  for (const [file, g] of Object.entries(files)) {
    if (g.llama_cpp_ppl === null) continue;
    it(file, { skip: notYetSupported(file) }, async () => {
      const r = await runOperation({ op: 'evaluate', model: sharedPath('golden', file), text: { path: sharedPath('data', 'tinystories_val_200k.txt') }, nCtx: 256 });
      const tolerance = file.includes('f32') ? 0.001 : 0.005;
      const rel = Math.abs(r.ppl - g.llama_cpp_ppl!) / g.llama_cpp_ppl!;
      assert.ok(rel <= tolerance, `${file}: ours ${r.ppl.toFixed(4)}, llama.cpp ${g.llama_cpp_ppl} (${(rel * 100).toFixed(3)}% apart)`);
    });
  }
});
