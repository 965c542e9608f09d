// GPTQ on WebGPU for Q4_0 and Q8_0 (the types the CUDA kernels take), the CPU's method in f32 on
// the device: the host damps H and factors it (the native fp64 Cholesky, in reverse index order as
// native/src/core/gptq/gptq.cpp does), the GPU runs the column loop a block of 64 columns at a time
// with the CPU's block fits (shaders/gptq_block.wgsl) and the lazy update of the columns after
// each block (shaders/gptq_update.wgsl). Experimental: only tests and bench:gpu call it, so it may
// use the addon's testing hook for the factorisation.
import { native } from '../native.js';
import type { GpuKernels } from './kernels.js';
import { gridStride } from './runner.js';
import { shaderFile } from './shaders.js';

const BLOCK = 64;
const DAMP_STEP = 0.01;
const MAX_TRIES = 20;

export interface WebGpuGptqRequest {
  type: 'Q4_0' | 'Q8_0';
  /** rows × cols, row-major */
  weights: Float32Array;
  rows: number;
  cols: number;
  /** cols × cols */
  hessian: Float64Array;
  /** λ: λ·mean(diag H) is added to the diagonal (raised by 0.01 while H is not positive definite) */
  damp?: number;
  threads?: number;
}

export interface WebGpuGptqResult {
  data: Uint8Array;
  damp: number;
  seconds: number;
  /** of which the host's damping and factorization */
  factorSeconds: number;
}

/**
 * S with S[k][p] = R[k][p] / R[p][p] for k ≤ p, R the upper factor with R·Rᵀ = H + λ·mean(diag)·I,
 * H's diagonal replaced by `diag`: the lower Cholesky factor of that with its indices reversed.
 */
function feedbackFactor(h: Float64Array, diag: Float64Array, n: number, damp: number, threads: number): { s: Float32Array; damp: number } {
  const reversed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) reversed[(n - 1 - i) * n + (n - 1 - j)] = h[i * n + j];
    reversed[(n - 1 - i) * n + (n - 1 - i)] = diag[i];
  }
  const mean = diag.reduce((a, b) => a + b, 0) / n;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++, damp += DAMP_STEP) {
    const l = native().testing.linalgFactor(reversed, n, 'cholesky', damp * mean, threads);
    if (!l) continue;
    const s = new Float32Array(n * n);
    for (let p = 0; p < n; p++) {
      const rpp = l[(n - 1 - p) * n + (n - 1 - p)];
      for (let k = 0; k <= p; k++) s[k * n + p] = l[(n - 1 - k) * n + (n - 1 - p)] / rpp;
    }
    return { s, damp };
  }
  throw new Error(`the Hessian stays singular even with damping ${damp}`);
}

export async function webgpuGptq(kernels: GpuKernels, o: WebGpuGptqRequest): Promise<WebGpuGptqResult> {
  const { rows, cols } = o;
  if (o.type !== 'Q4_0' && o.type !== 'Q8_0') throw new Error(`WebGPU GPTQ takes Q4_0 and Q8_0, not ${o.type as string}`);
  if (!(rows > 0 && cols > 0 && cols % 32 === 0)) throw new Error(`WebGPU GPTQ: ${rows} × ${cols} is not whole ${o.type} rows`);
  if (o.weights.length !== rows * cols) throw new Error(`WebGPU GPTQ: ${o.weights.length} weights are not ${rows} × ${cols}`);
  if (o.hessian.length !== cols * cols) throw new Error(`WebGPU GPTQ: the Hessian holds ${o.hessian.length} values, not ${cols} × ${cols}`);
  const start = performance.now();
  // diag(H), with 1 for dead inputs (H_jj = 0), whose weights are zeroed, as the CPU does
  const diag = new Float64Array(cols);
  const w = Float32Array.from(o.weights);
  for (let j = 0; j < cols; j++) {
    diag[j] = o.hessian[j * cols + j] || 1;
    if (o.hessian[j * cols + j] === 0) for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
  }
  const { s, damp } = feedbackFactor(o.hessian, diag, cols, o.damp ?? native().gptqDefaults().damp, o.threads ?? 1);
  const importance = Float32Array.from(diag);
  const factorSeconds = (performance.now() - start) / 1000;

  const r = kernels.runner;
  const block = await r.pipeline('gptq_block', () => [shaderFile('halfbits'), shaderFile('bytes_out'), shaderFile('gptq_block')].join('\n'));
  const update = await r.pipeline('gptq_update', () => shaderFile('gptq_update'));
  const q8 = o.type === 'Q8_0';
  const bytes = rows * (cols / 32) * (q8 ? 34 : 18);
  const [wbuf, tbuf, sbuf, err, out, imp] = [r.storage(w), r.storage(w), r.storage(s), r.storage(rows * BLOCK * 4), r.storage(bytes), r.storage(importance)];
  const uniforms: GPUBuffer[] = [];
  try {
    const enc = r.device.createCommandEncoder();
    const rowGroups = Math.ceil(rows / 64);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const width = Math.min(BLOCK, cols - c0);
      const bp = r.uniform([rows, cols, c0, width, gridStride(rowGroups, 64), q8 ? 1 : 0, 0, 0]);
      r.dispatch1d(enc, block, r.bind(block, [wbuf, tbuf, sbuf, err, out, bp, imp]), rowGroups);
      uniforms.push(bp);
      const c1 = c0 + width;
      if (c1 >= cols) continue;
      const up = r.uniform([rows, cols, c0, c1, width, 0, 0, 0]);
      r.dispatch(enc, update, r.bind(update, [err, sbuf, tbuf, up]), Math.ceil((cols - c1) / 64), rowGroups);
      uniforms.push(up);
    }
    const data = new Uint8Array(await r.readback(enc, out, bytes));
    return { data, damp, seconds: (performance.now() - start) / 1000, factorSeconds };
  } finally {
    for (const b of [wbuf, tbuf, sbuf, err, out, imp, ...uniforms]) b.destroy();
  }
}
