// The WebGPU kernels: dequantize, round-to-nearest quantize, the evaluation product Y = X·Wᵀ over
// quantized W, and XᵀX accumulation. Shader sources are in shaders/*.wgsl.
import { native } from '../native.js';
import type { GpuHandle } from './device.js';
import { rowsFit } from '../row-width.js';
import { GpuRunner, gridStride } from './runner.js';
import { blockKernelSource, quantizeSource, shaderFile, type ShaderType } from './shaders.js';

const WG = 64;

function checkWidth(t: ShaderType, n: number, what: string): void {
  if (!rowsFit(t, n)) {
    throw new Error(`${what}: ${n} elements is not a whole number of ${t.name} blocks (${t.blockSize} elements each)`);
  }
}

export class GpuKernels {
  readonly runner: GpuRunner;

  constructor(gpu: GpuHandle) {
    this.runner = new GpuRunner(gpu);
  }

  /** n elements of type t from their blocks; bit-identical to the native dequantize. */
  async dequantize(t: ShaderType, blocks: Uint8Array, n: number): Promise<Float32Array> {
    checkWidth(t, n, 'dequantize');
    const need = (n / t.blockSize) * t.typeSize;
    if (blocks.byteLength < need) throw new Error(`dequantize: ${n} ${t.name} elements need ${need} bytes, got ${blocks.byteLength}`);
    if (n === 0) return new Float32Array(0);
    const r = this.runner;
    const p = await r.pipeline(`dequantize:${t.name}`, () => blockKernelSource('dequantize', t));
    const groups = Math.ceil(n / WG);
    const src = r.storage(blocks.subarray(0, need));
    const out = r.storage(n * 4);
    const params = r.uniform([n, 0, gridStride(groups, WG), 0]);
    const enc = r.device.createCommandEncoder();
    r.dispatch1d(enc, p, r.bind(p, [src, out, params]), groups);
    const data = await r.readback(enc, out, n * 4);
    for (const b of [src, out, params]) b.destroy();
    return new Float32Array(data);
  }

  /** nrows × nPerRow values to blocks of t, byte-identical to the native plain (no importance) quantizer. */
  async quantize(t: ShaderType, src: Float32Array, nrows: number, nPerRow: number): Promise<Uint8Array> {
    return (await this.quantizeReport(t, src, nrows, nPerRow)).bytes;
  }

  /**
   * quantize, and the blocks the kernel handed back: those whose arithmetic left the normal float
   * range (shaders/guarded.wgsl), which the native quantizer redoes here.
   */
  async quantizeReport(t: ShaderType, src: Float32Array, nrows: number, nPerRow: number): Promise<{ bytes: Uint8Array; redone: number[] }> {
    checkWidth(t, nPerRow, 'quantize');
    if (src.length !== nrows * nPerRow) throw new Error(`quantize: ${src.length} values is not ${nrows} rows of ${nPerRow}`);
    const nblocks = (nrows * nPerRow) / t.blockSize;
    const bytes = nblocks * t.typeSize;
    if (nblocks === 0) return { bytes: new Uint8Array(0), redone: [] };
    const r = this.runner;
    const p = await r.pipeline(`quantize:${t.name}`, () => quantizeSource(t));
    const groups = Math.ceil(nblocks / WG);
    const x = r.storage(src);
    const out = r.storage(bytes);
    const params = r.uniform([nblocks, 0, gridStride(groups, WG), 0]);
    const redo = r.storage(Math.ceil(nblocks / 32) * 4);
    const enc = r.device.createCommandEncoder();
    r.dispatch1d(enc, p, r.bind(p, [x, out, params, redo]), groups);
    const data = new Uint8Array(await r.readback(enc, out, bytes));
    const flags = new Uint32Array(await r.readback(r.device.createCommandEncoder(), redo, Math.ceil(nblocks / 32) * 4));
    for (const b of [x, out, params, redo]) b.destroy();
    const redone: number[] = [];
    for (let b = 0; b < nblocks; b++) {
      if (!((flags[b >>> 5] >>> (b & 31)) & 1)) continue;
      redone.push(b);
      data.set(native().quantize(t.name, src.subarray(b * t.blockSize, (b + 1) * t.blockSize), 1, t.blockSize), b * t.typeSize);
    }
    return { bytes: data, redone };
  }

  /** Y = X·Wᵀ (tokens × rows) for X tokens × cols and W rows × cols in blocks of t. */
  async matmul(t: ShaderType, w: Uint8Array, rows: number, cols: number, x: Float32Array, tokens: number): Promise<Float32Array> {
    const m = await this.matmulPrepare(t, w, rows, cols);
    try {
      return await m.run(x, tokens);
    } finally {
      m.release();
    }
  }

  /** Uploads W once for repeated products (benchmarks, layer-by-layer evaluation). */
  async matmulPrepare(t: ShaderType, w: Uint8Array, rows: number, cols: number): Promise<PreparedMatmul> {
    checkWidth(t, cols, 'matmul');
    const need = rows * (cols / t.blockSize) * t.typeSize;
    if (w.byteLength < need) throw new Error(`matmul: ${rows}×${cols} ${t.name} weights need ${need} bytes, got ${w.byteLength}`);
    const r = this.runner;
    const p = await r.pipeline(`matmul:${t.name}`, () => blockKernelSource('matmul', t));
    const wbuf = r.storage(w.subarray(0, need));
    const encode = (enc: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, tokens: number, accumulate = false): GPUBuffer[] => {
      const [rowTiles, tokenTiles] = [Math.ceil(rows / 64), Math.ceil(tokens / 64)];
      if (rowTiles > 65535 || tokenTiles > 65535) throw new Error(`matmul: ${rows} rows × ${tokens} tokens is more than one dispatch takes`);
      const params = r.uniform([tokens, rows, cols, accumulate ? 1 : 0]);
      r.dispatch(enc, p, r.bind(p, [wbuf, x, y, params]), rowTiles, tokenTiles);
      return [params];
    };
    return {
      encode,
      run: async (x: Float32Array, tokens: number) => {
        if (x.length !== tokens * cols) throw new Error(`matmul: activations hold ${x.length} values, not ${tokens} × ${cols}`);
        if (tokens === 0 || rows === 0) return new Float32Array(0);
        const xbuf = r.storage(x);
        const ybuf = r.storage(tokens * rows * 4);
        const enc = r.device.createCommandEncoder();
        const uniforms = encode(enc, xbuf, ybuf, tokens);
        const data = await r.readback(enc, ybuf, tokens * rows * 4);
        for (const b of [xbuf, ybuf, ...uniforms]) b.destroy();
        return new Float32Array(data);
      },
      release: () => wbuf.destroy(),
    };
  }

  /** Compiles the Σx² kernel and returns what records it on device buffers (importance matrices). */
  async squareSums(): Promise<EncodeSquareSums> {
    const r = this.runner;
    const p = await r.pipeline('sumsq', () => shaderFile('sumsq'));
    return (enc, x, tokens, cols, out, offset) => {
      if (Math.ceil(cols / WG) > 65535) throw new Error(`sumsq: ${cols} columns is too many`);
      const params = r.uniform([tokens, cols, offset, 0]);
      r.dispatch(enc, p, r.bind(p, [x, out, params]), Math.ceil(cols / WG));
      return [params];
    };
  }

  /** h (cols × cols, fp64) += XᵀX for X tokens × cols. The GPU sums slices of `slice` tokens in f32 into an f32
   *  accumulator; the host adds that accumulator into h in fp64. Returns tokens (keep the running count). */
  async xtxAccumulate(h: Float64Array, x: Float32Array, tokens: number, cols: number, slice = 256): Promise<number> {
    if (h.length !== cols * cols) throw new Error(`xtx: H holds ${h.length} values, not ${cols} × ${cols}`);
    if (x.length !== tokens * cols) throw new Error(`xtx: activations hold ${x.length} values, not ${tokens} × ${cols}`);
    if (tokens === 0 || cols === 0) return tokens;
    const r = this.runner;
    const p = await r.pipeline('xtx', () => shaderFile('xtx'));
    const tiles = Math.ceil(cols / 64);
    if (tiles > 65535) throw new Error(`xtx: ${cols} columns is too many`);
    const acc = r.storage(cols * cols * 4);
    const enc = r.device.createCommandEncoder();
    const temps: GPUBuffer[] = [];
    for (let t0 = 0; t0 < tokens; t0 += slice) {
      const n = Math.min(slice, tokens - t0);
      const xbuf = r.storage(x.subarray(t0 * cols, (t0 + n) * cols));
      const params = r.uniform([n, cols, 0, 0]);
      temps.push(xbuf, params);
      r.dispatch(enc, p, r.bind(p, [xbuf, acc, params]), tiles, tiles);
    }
    const data = new Float32Array(await r.readback(enc, acc, cols * cols * 4));
    for (const b of [acc, ...temps]) b.destroy();
    for (let i = 0; i < cols; i++) {
      for (let j = i; j < cols; j++) {
        const v = data[i * cols + j];
        h[i * cols + j] += v;
        if (j !== i) h[j * cols + i] += v;
      }
    }
    return tokens;
  }
}

/** Records out[offset + c] = Σ_t x_tc² (f32) for X tokens × cols; returns the uniforms to destroy once it has run. */
export type EncodeSquareSums = (enc: GPUCommandEncoder, x: GPUBuffer, tokens: number, cols: number, out: GPUBuffer, offset: number) => GPUBuffer[];

export interface PreparedMatmul {
  /** Y = X·Wᵀ from host activations, back to the host. */
  run(x: Float32Array, tokens: number): Promise<Float32Array>;
  /** Records Y (+)= X·Wᵀ on device buffers into `enc`; returns the uniforms to destroy once it has run. */
  encode(enc: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, tokens: number, accumulate?: boolean): GPUBuffer[];
  release(): void;
}
