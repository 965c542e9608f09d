// The forward pass's steps besides the linear layers, recorded on device buffers: RMS norm, biases,
// RoPE, causal attention and SwiGLU (shaders/rmsnorm, pointwise, rope, attention). RoPE's cos/sin
// table is computed on the host, in f32 as native/src/core/engine/forward.cpp computes it.
import { type GpuRunner, gridStride } from './runner.js';
import { shaderFile } from './shaders.js';

const WG = 64;
const MAX_HEAD_DIM = 256; // shaders/attention.wgsl: each invocation holds a query and an output row
const f = Math.fround;

export interface RopeParams {
  headDim: number;
  ropeDim: number;
  base: number;
  freqScale: number;
  neox: boolean;
}

export interface AttentionShape {
  nHead: number;
  nHeadKv: number;
  headDim: number;
}

/** cos and sin of each (position, pair) angle for positions 0..tokens-1, with ggml's iterated theta. */
export function ropeTable(tokens: number, p: RopeParams): Float32Array {
  const half = p.ropeDim / 2;
  const cs = new Float32Array(tokens * p.ropeDim);
  const thetaScale = f(Math.pow(f(p.base), f(-2 / p.ropeDim)));
  for (let t = 0; t < tokens; t++) {
    let theta = f(t);
    for (let i = 0; i < half; i++) {
      const th = f(f(p.freqScale) * theta);
      cs[2 * (t * half + i)] = Math.cos(th);
      cs[2 * (t * half + i) + 1] = Math.sin(th);
      theta = f(theta * thetaScale);
    }
  }
  return cs;
}

/** The u32 word holding an f32's bits, for uniforms. */
const f32Word = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0];

export function checkAttentionShape(s: AttentionShape): void {
  if (s.headDim > MAX_HEAD_DIM) throw new Error(`the WebGPU attention takes heads of at most ${MAX_HEAD_DIM} dimensions, not ${s.headDim}`);
  if (s.nHead > 65535) throw new Error(`the WebGPU attention takes at most 65535 heads, not ${s.nHead}`);
}

/**
 * Records the steps into a command encoder. Each call pushes the uniform buffers it made onto
 * `temps`, to be destroyed once the encoder's work has run.
 */
export class ForwardOps {
  private constructor(
    private readonly r: GpuRunner,
    private readonly pipes: { rmsnorm: GPUComputePipeline; rope: GPUComputePipeline; pointwise: GPUComputePipeline; attention: GPUComputePipeline },
  ) {}

  static async create(r: GpuRunner): Promise<ForwardOps> {
    const compile = (name: string) => r.pipeline(name, () => shaderFile(name));
    const [rmsnorm, rope, pointwise, attention] = await Promise.all(['rmsnorm', 'rope', 'pointwise', 'attention'].map(compile));
    return new ForwardOps(r, { rmsnorm, rope, pointwise, attention });
  }

  private uniform(temps: GPUBuffer[], words: number[]): GPUBuffer {
    const u = this.r.uniform(words);
    temps.push(u);
    return u;
  }

  /** y[r] = RMS-normed x[row0 + r] · w for `rows` rows of n values. */
  rmsNorm(enc: GPUCommandEncoder, temps: GPUBuffer[], x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, rows: number, n: number, eps: number, row0 = 0): void {
    const p = this.pipes.rmsnorm;
    this.r.dispatch1d(enc, p, this.r.bind(p, [x, w, y, this.uniform(temps, [rows, n, f32Word(eps), row0])]), rows);
  }

  /** y (tokens × d) += b per row. */
  addBias(enc: GPUCommandEncoder, temps: GPUBuffer[], y: GPUBuffer, b: GPUBuffer, tokens: number, d: number): void {
    this.pointwise(enc, temps, y, b, tokens * d, d, 0);
  }

  /** gate ← silu(gate) · up, over `count` values. */
  swiglu(enc: GPUCommandEncoder, temps: GPUBuffer[], gate: GPUBuffer, up: GPUBuffer, count: number): void {
    this.pointwise(enc, temps, gate, up, count, 1, 1);
  }

  private pointwise(enc: GPUCommandEncoder, temps: GPUBuffer[], y: GPUBuffer, b: GPUBuffer, count: number, d: number, op: number): void {
    const p = this.pipes.pointwise;
    const groups = Math.ceil(count / WG);
    this.r.dispatch1d(enc, p, this.r.bind(p, [y, b, this.uniform(temps, [count, d, op, gridStride(groups, WG)])]), groups);
  }

  /** RoPE in place on x (tokens × heads × headDim) with the table of ropeTable. */
  rope(enc: GPUCommandEncoder, temps: GPUBuffer[], x: GPUBuffer, table: GPUBuffer, tokens: number, heads: number, p: RopeParams): void {
    const pipe = this.pipes.rope;
    const groups = Math.ceil((tokens * heads * p.ropeDim) / 2 / WG);
    const params = this.uniform(temps, [tokens, heads, p.headDim, p.ropeDim, p.neox ? 1 : 0, gridStride(groups, WG), 0, 0]);
    this.r.dispatch1d(enc, pipe, this.r.bind(pipe, [x, table, params]), groups);
  }

  /** out = causal softmax(q·kᵀ · scale)·v per head, for one chunk of `tokens` positions from 0. */
  attention(enc: GPUCommandEncoder, temps: GPUBuffer[], q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, out: GPUBuffer, tokens: number, s: AttentionShape): void {
    checkAttentionShape(s);
    const scale = f(1 / f(Math.sqrt(s.headDim)));
    const p = this.pipes.attention;
    const tileKeys = Math.floor(2048 / s.headDim);  // shaders/attention.wgsl: 2048 keys' and values' floats each
    const params = this.uniform(temps, [tokens, s.nHead, s.nHeadKv, s.headDim, f32Word(scale), tileKeys, 0, 0]);
    this.r.dispatch(enc, p, this.r.bind(p, [q, k, v, out, params]), s.nHead, Math.ceil(tokens / 64));
  }
}
