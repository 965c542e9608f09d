// The WGSL products against the C++ reference, within stated tolerances:
// - Y = X·Wᵀ over quantized W: |ΔY| ≤ 2^-17 · Σ_c |x_c·w_c| (f32 sums of at most 16 + 16 + cols/256 terms)
//   against an fp64 product of the native dequantization of W.
// - XᵀX: |ΔH| ≤ 2^-16 · Σ_t |x_ti·x_tj| against native hessianAccumulate (fp64); the GPU sums slices of
//   256 tokens in f32.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { shaderType } from '../../main/engine/webgpu/index.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';

const { kernels, skip } = await gpuKernelsOrSkip();

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

describe('WebGPU quantized product Y = X·Wᵀ', { skip }, () => {
  const rows = 37;
  const cols = 512;
  const tokens = 13;  // not a multiple of the 64-token tile (nor rows of the 64-row one)
  for (const name of ['Q4_0', 'Q8_0', 'Q4_1', 'Q5_K', 'Q6_K', 'IQ4_XS', 'MXFP4', 'F16']) {
    it(`${name}: within 2^-17 of Σ|x·w| of the fp64 product`, async () => {
      const w = gaussian(rows * cols, 7 + name.length);
      const q = native().quantize(name, w, rows, cols);
      const wd = native().dequantize(name, q, rows * cols);
      const x = gaussian(tokens * cols, 99);
      const y = await kernels!.matmul(shaderType(name), q, rows, cols, x, tokens);
      assert.equal(y.length, tokens * rows);
      let worst = 0;
      for (let t = 0; t < tokens; t++) {
        for (let r = 0; r < rows; r++) {
          let exact = 0;
          let mag = 0;
          for (let c = 0; c < cols; c++) {
            const p = x[t * cols + c] * wd[r * cols + c];
            exact += p;
            mag += Math.abs(p);
          }
          const err = Math.abs(y[t * rows + r] - exact) / mag;
          worst = Math.max(worst, err);
          assert.ok(err <= 2 ** -17, `${name} token ${t} row ${r}: GPU ${y[t * rows + r]} vs ${exact} (relative ${err})`);
        }
      }
      assert.ok(worst > 0, 'the comparison saw f32 rounding (the check is not vacuous)');
    });
  }

  it('rejects weights of the wrong size and activations of the wrong shape', async () => {
    const t = shaderType('Q4_0');
    await assert.rejects(kernels!.matmul(t, new Uint8Array(10), 2, 64, new Float32Array(64), 1), /need 72 bytes/);
    await assert.rejects(kernels!.matmul(t, new Uint8Array(72), 2, 64, new Float32Array(60), 1), /not 1 × 64/);
  });
});

describe('WebGPU XᵀX accumulation', { skip }, () => {
  it('equals native hessianAccumulate within 2^-16 of Σ|x_i·x_j|, over two calls and a partial tile', async () => {
    const cols = 80;
    const parts = [gaussian(300 * cols, 5), gaussian(41 * cols, 6)];
    for (const p of parts) for (let i = 0; i < p.length; i += 7) p[i] *= 30;  // uneven columns
    const want = new Float64Array(cols * cols);
    const got = new Float64Array(cols * cols);
    const mag = new Float64Array(cols * cols);
    let count = 0;
    for (const x of parts) {
      const tokens = x.length / cols;
      native().hessianAccumulate(want, x, tokens, cols, 1);
      count += await kernels!.xtxAccumulate(got, x, tokens, cols);
      for (let t = 0; t < tokens; t++) {
        for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) mag[i * cols + j] += Math.abs(x[t * cols + i] * x[t * cols + j]);
      }
    }
    assert.equal(count, 341);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        const k = i * cols + j;
        assert.equal(got[k], got[j * cols + i], 'symmetric');
        assert.ok(Math.abs(got[k] - want[k]) <= 2 ** -16 * mag[k], `H[${i},${j}]: GPU ${got[k]} vs native ${want[k]}`);
      }
    }
  });

  it('rejects a Hessian of the wrong size', async () => {
    await assert.rejects(kernels!.xtxAccumulate(new Float64Array(10), new Float32Array(16), 4, 4), /not 4 × 4/);
  });
});
