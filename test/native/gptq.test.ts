// GPTQ into ggml blocks: the numerics (H = I is round-to-nearest, correlated inputs make it beat
// importance-weighted rounding, singular Hessians stay finite).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { mulberry32, seededNormal } from '../helpers/random.js';

const TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'IQ4_NL', 'MXFP4', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_XS'];

/** H = XᵀX for n tokens of correlated features (a shared low-rank part plus noise, varied scales). */
function correlatedHessian(cols: number, n: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const rank = 8;
  const mix = seededNormal(rank * cols, seed + 1);
  const scale = Float64Array.from({ length: cols }, () => 0.2 + 3 * rand() ** 3);
  const H = new Float64Array(cols * cols);
  const x = new Float64Array(cols);
  for (let t = 0; t < n; t++) {
    const z = seededNormal(rank + cols, seed * 7919 + t);
    for (let j = 0; j < cols; j++) {
      let v = 0.3 * z[rank + j];
      for (let k = 0; k < rank; k++) v += z[k] * mix[k * cols + j];
      x[j] = v * scale[j];
    }
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) H[i * cols + j] += x[i] * x[j];
  }
  return H;
}

const diag = (H: Float64Array, cols: number) => Float32Array.from({ length: cols }, (_, j) => H[j * cols + j]);

describe('GPTQ in ggml block formats', () => {
  const rows = 24;
  const cols = 256;
  const W = seededNormal(rows * cols, 99);

  for (const type of TYPES) {
    it(`${type}: with H = I it equals the importance-weighted quantizer block by block`, () => {
      const I = new Float64Array(cols * cols);
      for (let j = 0; j < cols; j++) I[j * cols + j] = 1;
      const g = native().gptqQuantize({ type, weights: W, rows, cols, hessian: I });
      // each block (32 elements, or a 256-element super-block) fitted with importance 1 on its own values
      const bs = native().typeInfo().find((t) => t.name === type)!.blockSize;
      const rtn = native().quantize(type, W, (rows * cols) / bs, bs, new Float32Array(bs).fill(1));
      assert.deepEqual(Buffer.from(g.data), Buffer.from(rtn));
    });

    it(`${type}: on correlated inputs it has lower Hessian-weighted error than RTN + imatrix`, () => {
      const H = correlatedHessian(cols, 600, 3);
      const g = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, threads: 2 });
      const rtn = native().quantize(type, W, rows, cols, diag(H, cols)); // llama.cpp's imatrix rounding
      const eG = native().weightedError(type, W, rows, cols, H, g.data);
      const eR = native().weightedError(type, W, rows, cols, H, rtn);
      assert.ok(eG < 0.8 * eR, `${type}: GPTQ ${eG.toExponential(3)} vs RTN+imatrix ${eR.toExponential(3)}`);
    });
  }

  it('singular Hessians (dead and repeated inputs) give finite, valid blocks', () => {
    const H = correlatedHessian(cols, 40, 5); // fewer tokens than columns: rank-deficient
    for (let j = 0; j < cols; j += 17) for (let k = 0; k < cols; k++) H[j * cols + k] = H[k * cols + j] = 0; // dead inputs
    const g = native().gptqQuantize({ type: 'Q4_0', weights: W, rows, cols, hessian: H, damp: 0 });
    assert.ok(g.deadColumns >= 15);
    assert.ok(g.damp > 0, 'damping was raised until the factorisation succeeded');
    const back = native().dequantize('Q4_0', g.data, rows * cols);
    assert.ok(back.every(Number.isFinite));
  });

  it('rejects bad shapes and unsupported types clearly', () => {
    const H = new Float64Array(cols * cols);
    assert.throws(() => native().gptqQuantize({ type: 'Q4_0', weights: W, rows, cols: cols + 1, hessian: H }), /weights must hold rows × cols/);
    assert.throws(() => native().gptqQuantize({ type: 'F16', weights: W, rows, cols, hessian: H }), /GPTQ does not support F16/);
  });
});
