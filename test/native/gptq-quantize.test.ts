// GPTQ into ggml blocks, end to end: H = I is llama.cpp's own rounding, correlated inputs make it beat
// RTN + imatrix, singular Hessians stay finite, act-order / sub-block refits / QEP pay where built to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { blockSize, correlatedActivations, GPTQ_TYPES, identity, K_TYPES, xtx } from './gptq-helpers.js';

// Types whose llama.cpp imatrix search weighs each element by importance·√(σ² + x²) with σ² the mean x²
// of the whole *row* (ggml's quantize_q4_0 … quantize_q5_1). GPTQ fits one block at a time on updated
// weights, so for these σ² is the block's own; the others compute σ² per block or super-block already.
const ROW_SIGMA = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1'];

describe('GPTQ: H = I is round-to-nearest', () => {
  const rows = 16, cols = 512;
  const W = seededNormal(rows * cols, 99);
  for (const type of GPTQ_TYPES) {
    it(`${type}: the bytes equal llama.cpp's quantizer with importance all ones`, () => {
      const g = native().gptqQuantize({ type, weights: W, rows, cols, hessian: identity(cols), actOrder: type === 'Q4_K' });
      const ones = new Float32Array(cols).fill(1);
      const bs = blockSize(type);
      const rtn = ROW_SIGMA.includes(type)
        ? native().quantize(type, W, (rows * cols) / bs, bs, ones.subarray(0, bs)) // σ² of each block
        : native().quantize(type, W, rows, cols, ones);
      assert.deepEqual(Buffer.from(g.data), Buffer.from(rtn));
      assert.equal(g.error, native().weightedError(type, W, rows, cols, identity(cols), g.data));
      // ggml's Q8_0 ignores importance, so there it is also the plain quantizer; elsewhere ones ≠ none
      const plain = native().quantize(type, W, rows, cols, null);
      if (type === 'Q8_0') assert.deepEqual(Buffer.from(g.data), Buffer.from(plain));
    });
  }
});

describe('GPTQ: correlated inputs', () => {
  const rows = 32, cols = 512, tokens = 1024;
  const W = seededNormal(rows * cols, 5);
  const X = correlatedActivations(tokens, cols, 3, 32, 1);
  const H = xtx(X, tokens, cols);
  const diag = Float32Array.from({ length: cols }, (_, j) => H[j * cols + j]);
  for (const type of GPTQ_TYPES) {
    it(`${type}: Hessian-weighted error at most 1/4 of RTN + imatrix (measured 0.068–0.092 of it)`, () => {
      const g = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens, threads: 2 });
      const rtn = native().quantize(type, W, rows, cols, diag);
      const eRtn = (2 / tokens) * native().weightedError(type, W, rows, cols, H, rtn);
      const eG = (2 / tokens) * native().weightedError(type, W, rows, cols, H, g.data, 2);
      assert.ok(Math.abs(g.error! - eG) <= 1e-9 * eG && Math.abs(g.rtnError! - eRtn) <= 1e-9 * eRtn, 'reported errors are the (2/n)-normalised traces');
      assert.ok(eG < 0.25 * eRtn, `${type}: GPTQ ${eG.toExponential(3)} vs RTN+imatrix ${eRtn.toExponential(3)}`);
      assert.equal(g.damp, 0.01);
      assert.ok(g.seconds > 0 && g.factorSeconds > 0);
    });
  }

  it('k-quants: refitting sub-block scales on the updated weights lowers the error (each < 0.95 of keeping the super-block fit)', () => {
    const X2 = correlatedActivations(tokens, cols, 5, 64, 2);
    const H2 = xtx(X2, tokens, cols);
    for (const type of K_TYPES) {
      const on = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H2, samples: tokens });
      const off = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H2, samples: tokens, subblockRefit: false });
      assert.ok(on.refits > 0 && off.refits === 0);
      assert.ok(on.error! < 0.95 * off.error!, `${type}: ${on.error} vs ${off.error}`);
    }
  });

  it('block-respecting act-order: with the high-variance inputs in the last blocks, error at most half of plain GPTQ', () => {
    const X3 = correlatedActivations(tokens, 256, 3, 8, 0.3, (j) => (j >= 192 ? 8 : 1));
    const H3 = xtx(X3, tokens, 256);
    const W3 = W.subarray(0, rows * 256);
    for (const type of GPTQ_TYPES) {
      const plain = native().gptqQuantize({ type, weights: W3, rows, cols: 256, hessian: H3, samples: tokens });
      const act = native().gptqQuantize({ type, weights: W3, rows, cols: 256, hessian: H3, samples: tokens, actOrder: true });
      assert.ok(act.error! < 0.5 * plain.error!, `${type}: act-order ${act.error} vs ${plain.error}`);
      assert.ok(native().dequantize(type, act.data, rows * 256).every(Number.isFinite));
    }
  });
});

describe('GPTQ: QEP', () => {
  it('with inputs distorted by earlier quantization, α = 0.5 halves the layer-output error (measured ≈ 0.27×)', () => {
    const rows = 16, cols = 256, tokens = 1024;
    const W = seededNormal(rows * cols, 5);
    const X = correlatedActivations(tokens, cols, 3);
    // x̂ = x + A·x + noise: a systematic distortion that QEP's H_δ sees
    const A = seededNormal(cols * cols, 9).map((v) => (v * 0.15) / Math.sqrt(cols));
    const dX = native().testing.linalgSgemm(X, A, tokens, cols, cols);
    const noise = seededNormal(tokens * cols, 10);
    const Xh = Float32Array.from(X, (v, i) => v + dX[i] + 0.05 * noise[i]);
    const H = xtx(Xh, tokens, cols);
    const Hd = new Float64Array(cols * cols);
    for (let t = 0; t < tokens; t++)
      for (let i = 0; i < cols; i++) {
        const d = X[t * cols + i] - Xh[t * cols + i];
        for (let j = 0; j < cols; j++) Hd[i * cols + j] += d * Xh[t * cols + j];
      }
    // Σ_t ‖W·x_t − Q·x̂_t‖²: what the quantized layer gets wrong on the inputs it will really see
    const outputError = (type: string, data: Uint8Array) => {
      const Q = native().dequantize(type, data, rows * cols);
      const y = native().testing.linalgSgemm(X, transpose(W, rows, cols), tokens, rows, cols);
      const yq = native().testing.linalgSgemm(Xh, transpose(Q, rows, cols), tokens, rows, cols);
      return y.reduce((s, v, i) => s + (v - yq[i]) ** 2, 0);
    };
    for (const type of ['Q4_0', 'Q4_K', 'IQ4_XS']) {
      const plain = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens });
      const qep = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens, qep: { hdelta: Hd } });
      assert.equal(qep.qepLambda, 0.01);
      const e0 = outputError(type, plain.data), e1 = outputError(type, qep.data);
      assert.ok(e1 < 0.5 * e0, `${type}: QEP ${e1.toExponential(3)} vs plain ${e0.toExponential(3)}`);
    }
  });
});

function transpose(a: Float32Array, m: number, n: number): Float32Array {
  const t = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

describe('GPTQ: singular Hessians and damping', () => {
  const rows = 16, cols = 256;
  const W = seededNormal(rows * cols, 99);
  for (const type of ['Q4_0', 'Q4_K', 'Q6_K', 'IQ4_XS']) {
    it(`${type}: dead, repeated and rank-deficient inputs give finite weights in valid blocks, with damping raised until Cholesky succeeds`, () => {
      const X = correlatedActivations(40, cols, 5); // 40 tokens < 256 columns: rank-deficient
      for (let t = 0; t < 40; t++) {
        for (let j = 0; j < cols; j += 17) X[t * cols + j] = 0; // dead inputs
        for (let j = 1; j < cols; j += 31) X[t * cols + j] = X[t * cols + j - 1]; // repeated inputs
      }
      const H = xtx(X, 40, cols);
      const g = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, damp: 0, blockSize: 64 });
      assert.equal(g.deadColumns, 16);
      assert.ok(g.damp > 0, 'damping was raised until the factorisation succeeded');
      const back = native().dequantize(type, g.data, rows * cols);
      assert.ok(back.every(Number.isFinite));
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j += 17) assert.ok(Math.abs(back[r * cols + j]) < 2 * Math.max(...W.map(Math.abs)));
      assert.ok(g.error! <= g.rtnError!, `${g.error} vs ${g.rtnError}`);
    });
  }

  it('a Hessian with no usable diagonal fails with a clear message instead of looping', () => {
    const cols = 32;
    const H = new Float64Array(cols * cols).fill(1);
    for (let j = 0; j < cols; j++) H[j * cols + j] = 1e-9; // indefinite: off-diagonals dominate
    assert.throws(() => native().gptqQuantize({ type: 'Q4_0', weights: seededNormal(cols, 1), rows: 1, cols, hessian: H, damp: 0 }), /stays singular even with damping/);
  });
});

describe('GPTQ: binding', () => {
  const rows = 64, cols = 256;
  const W = seededNormal(rows * cols, 1);
  const H = xtx(correlatedActivations(512, cols, 2), 512, cols);

  it('the async job gives the same bytes as the sync call, reports progress, and can be cancelled', async () => {
    const sync = native().gptqQuantize({ type: 'Q4_K', weights: W, rows, cols, hessian: H, threads: 2, blockSize: 32 });
    const seen: number[] = [];
    const job = native().gptqQuantizeAsync({ type: 'Q4_K', weights: W, rows, cols, hessian: H, threads: 2, blockSize: 32 }, (done) => seen.push(done));
    const r = await job.promise;
    assert.deepEqual(Buffer.from(r.data), Buffer.from(sync.data));
    assert.ok(seen.length > 0 && seen.every((d) => d > 0 && d <= cols));
    const big = seededNormal(1024 * 1024, 3);
    const Hbig = xtx(correlatedActivations(256, 1024, 4), 256, 1024);
    const cancelled = native().gptqQuantizeAsync({ type: 'Q4_0', weights: big, rows: 1024, cols: 1024, hessian: Hbig, blockSize: 32 }, () => cancelled.cancel());
    await assert.rejects(cancelled.promise, /cancelled/);
  });

  it('rejects bad shapes and unsupported types clearly', () => {
    assert.throws(() => native().gptqQuantize({ type: 'Q4_0', weights: W, rows, cols: cols + 1, hessian: H }), /weights must hold rows × cols/);
    assert.throws(() => native().gptqQuantize({ type: 'Q4_0', weights: W, rows, cols, hessian: H.subarray(1) }), /hessian must hold cols × cols/);
    assert.throws(() => native().gptqQuantize({ type: 'F16', weights: W, rows, cols, hessian: H }), /GPTQ does not support F16/);
    assert.throws(() => native().gptqQuantize({ type: 'Q4_0', weights: W, rows, cols, hessian: H, qep: { hdelta: new Float64Array(3) } }), /qep.hdelta must hold/);
    assert.throws(() => native().gptqQuantize({ type: 'Q4_K', weights: W.subarray(0, 16 * 32), rows: 16, cols: 32, hessian: identity(32) }), /not whole Q4_K blocks/);
  });
});
