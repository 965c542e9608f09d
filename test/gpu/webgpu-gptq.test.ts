// GPTQ on WebGPU (Q4_0, Q8_0) against the native engine: the same method as the CPU's in other float
// arithmetic, so its Hessian-weighted error is well below round-to-nearest's and close to the CPU
// GPTQ's; with H = I it writes llama.cpp's quantizer's bytes with importance all ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { webgpuGptq } from '../../main/engine/webgpu/gptq.js';
import { seededNormal } from '../helpers/random.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';
import { correlatedActivations, identity, xtx } from '../native/gptq-helpers.js';

const { kernels, skip } = await gpuKernelsOrSkip();

describe('GPTQ on WebGPU', { skip }, () => {
  const rows = 96;
  const cols = 288;  // four blocks of 64 columns and one of 32
  const W = seededNormal(rows * cols, 3);
  W.fill(0, 5 * cols + 64, 5 * cols + 96);  // an all-zero ggml block

  for (const type of ['Q4_0', 'Q8_0'] as const) {
    it(`${type}: the Hessian-weighted error of the CPU GPTQ within 1% (measured ≤ 0.01%)`, async (t) => {
      const H = xtx(correlatedActivations(512, cols, 21), 512, cols);
      const gpu = await webgpuGptq(kernels!, { type, weights: W, rows, cols, hessian: H });
      const cpu = native().gptqQuantize({ type, weights: W, rows, cols, hessian: H, measure: false });
      const err = (data: Uint8Array) => native().weightedError(type, W, rows, cols, H, data);
      const [g, c, rtn] = [err(gpu.data), err(cpu.data), err(native().quantize(type, W, rows, cols))];
      t.diagnostic(`Hessian-weighted error: webgpu ${g.toPrecision(5)}, cpu ${c.toPrecision(5)}, round-to-nearest ${rtn.toPrecision(5)}`);
      assert.ok(g < 0.8 * rtn, `webgpu GPTQ ${g} against round-to-nearest ${rtn}`);
      assert.ok(Math.abs(g - c) < 0.01 * c, `webgpu GPTQ ${g} against the CPU's ${c}`);
    });

    it(`${type}: with H = I writes llama.cpp's bytes with importance all ones`, async () => {
      const gpu = await webgpuGptq(kernels!, { type, weights: W, rows, cols, hessian: identity(cols), damp: 0 });
      // one block per row, as the CPU GPTQ fits them: σ² is the block's
      assert.deepEqual(gpu.data, native().quantize(type, W, (rows * cols) / 32, 32, new Float32Array(32).fill(1)));
    });
  }

  it('rejects what it cannot do', async () => {
    await assert.rejects(webgpuGptq(kernels!, { type: 'Q4_0', weights: W, rows, cols: 100, hessian: identity(100) }), /not whole Q4_0 rows/);
    await assert.rejects(webgpuGptq(kernels!, { type: 'Q4_K' as 'Q4_0', weights: W, rows, cols, hessian: identity(cols) }), /takes Q4_0 and Q8_0, not Q4_K/);
  });
});
