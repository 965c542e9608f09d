// The evaluator's "±": the standard errors of perplexity and mean KL, as llama-perplexity prints
// them, checked against the same statistics computed here from every scored position's logits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadText } from '../../main/core/calibration/text-source.js';
import { importModel } from '../../main/core/model/import.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { evaluate, openModel, standardError } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let s = 0;
  for (const x of row) s += Math.exp(x - max);
  const lse = max + Math.log(s);
  return Float64Array.from(row, (x) => x - lse);
}

/** mean and standard error the long way: the sample variance over n − 1 of the mean */
function direct(xs: number[]): { mean: number; se: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return { mean, se: Math.sqrt(variance / (xs.length - 1)) };
}

describe('standard errors of perplexity and KL', () => {
  it('standardError is sqrt(var / (n − 1)) and undefined for fewer than two values', () => {
    const xs = [1, 2, 4, 8];
    const s = xs.reduce((a, b) => a + b, 0);
    const s2 = xs.reduce((a, b) => a + b * b, 0);
    assert.ok(Math.abs(standardError(s, s2, 4) - direct(xs).se) < 1e-12);
    assert.equal(standardError(5, 25, 4 * 0 + 1), NaN);
    assert.equal(standardError(12, 48, 3), 0, 'identical values have no spread');
  });

  it('match the per-position values on stories260K (Q4_0 against F32)', { skip: skipNoShared }, async () => {
    const model = importModel(sharedPath('golden', 'stories260K-pure-Q4_0.gguf'));
    const reference = importModel(sharedPath('golden', 'stories260K-f32.gguf'));
    const tok = tokenizerForModel(model);
    const tokens = Int32Array.from(tok.encode(loadText({ path: sharedPath('data', 'tinystories_val.txt'), start: 0, end: 6000 }).text));
    const nCtx = 128;
    const r = await evaluate(model, { tokens, nCtx, bos: tok.bos, addBos: tok.addBos, threads: 2, reference });

    const nll: number[] = [];
    const kl: number[] = [];
    const [hm, hr] = [openModel(model), openModel(reference)];
    try {
      const V = model.hparams.nVocab;
      for (let c = 0; c + nCtx <= tokens.length; c += nCtx) {
        const batch = tokens.slice(c, c + nCtx);
        if (tok.addBos && tok.bos !== null) batch[0] = tok.bos;
        const lm = native().logits(hm, batch, 2);
        const lr = native().logits(hr, batch, 2);
        for (let j = nCtx / 2; j < nCtx - 1; j++) {
          const p = logSoftmax(lm.subarray(j * V, (j + 1) * V));
          const q = logSoftmax(lr.subarray(j * V, (j + 1) * V));
          nll.push(-p[tokens[c + j + 1]]);
          let k = 0;
          for (let v = 0; v < V; v++) k += Math.exp(q[v]) * (q[v] - p[v]);
          kl.push(k);
        }
      }
    } finally {
      native().closeModel(hm);
      native().closeModel(hr);
    }
    assert.equal(r.count, nll.length, JSON.stringify(r));
    const n = direct(nll);
    const k = direct(kl);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    assert.ok(rel(r.ppl, Math.exp(n.mean)) < 1e-4, `ppl ${r.ppl} vs ${Math.exp(n.mean)}`);
    assert.ok(rel(r.pplError, Math.exp(n.mean) * n.se) < 1e-3, `ppl error ${r.pplError} vs ${Math.exp(n.mean) * n.se}`);
    assert.ok(rel(r.meanKl!, k.mean) < 1e-3, `KL ${r.meanKl} vs ${k.mean}`);
    assert.ok(rel(r.meanKlError!, k.se) < 1e-3, `KL error ${r.meanKlError} vs ${k.se}`);
    assert.ok(r.pplError > 0 && r.pplError < 0.5 * r.ppl && r.meanKlError! > 0, JSON.stringify({ ppl: r.ppl, e: r.pplError, kl: r.meanKl, ke: r.meanKlError }));
  });
});
