// The llama-family forward pass on the GPU, mirroring native/src/core/engine/forward.cpp: the
// quantized weights are uploaded once and stay on the device; per call the token embeddings and
// RoPE's cos/sin table go up, every step runs on device buffers (forward-ops.ts, the linear layers'
// dequantize-matmul), and only the logits come back.
import type { EngineModel, TensorRef } from '../model-types.js';
import { rowsFit, rowWidthProblem } from '../row-width.js';
import { native } from '../native.js';
import { readTensorBytes } from '../tensor-values.js';
import { checkAttentionShape, ForwardOps, type RopeParams, ropeTable } from './forward-ops.js';
import { shaderType } from './index.js';
import type { GpuKernels, PreparedMatmul } from './kernels.js';

interface Linear {
  name: string;
  rows: number;
  cols: number;
  mm: PreparedMatmul;
}

interface Layer {
  attnNorm: GPUBuffer;
  ffnNorm: GPUBuffer;
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  gate: Linear;
  up: Linear;
  down: Linear;
  bq?: GPUBuffer;
  bk?: GPUBuffer;
  bv?: GPUBuffer;
  qNorm?: GPUBuffer;
  kNorm?: GPUBuffer;
}

/** ne[0] and the product of the other dimensions, checked against the byte count like the native engine. */
function geometry(t: TensorRef): { cols: number; rows: number; rowBytes: number } {
  const st = shaderType(t.type);
  const cols = t.ne[0];
  const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
  if (!rowsFit(st, cols)) throw new Error(`tensor ${t.name}: ${rowWidthProblem({ name: t.type, blockSize: st.blockSize }, cols)}`);
  const rowBytes = (cols / st.blockSize) * st.typeSize;
  if (rowBytes * rows !== t.nbytes) throw new Error(`tensor ${t.name}: ${t.nbytes} bytes do not match its shape and type`);
  return { cols, rows, rowBytes };
}

function expectShape(t: TensorRef, cols: number, rows: number): void {
  const g = geometry(t);
  if (g.cols !== cols || g.rows !== rows) throw new Error(`tensor ${t.name} has shape [${g.cols}, ${g.rows}], expected [${cols}, ${rows}]`);
}

/**
 * Sees each linear layer's input while a layer is recorded: the layers' names (q, k and v share
 * one input, as gate and up do), and the input on the device, rows × dim. What it records into
 * `enc` runs before the buffer is overwritten; it returns the buffers to destroy after that.
 */
export type LinearInputTap = (enc: GPUCommandEncoder, names: string[], x: GPUBuffer, rows: number, dim: number) => GPUBuffer[];

export class GpuForward {
  private readonly linears: Linear[] = [];

  private constructor(
    private readonly kernels: GpuKernels,
    private readonly ops: ForwardOps,
    private readonly desc: EngineModel,
    private readonly embd: { type: string; bytes: Uint8Array; rowBytes: number },
    private readonly layers: Layer[],
    private readonly outputNorm: GPUBuffer,
    private readonly output: Linear,
    /** norm weights and biases */
    private readonly vectors: GPUBuffer[],
  ) {
    for (const L of layers) this.linears.push(L.wq, L.wk, L.wv, L.wo, L.gate, L.up, L.down);
    this.linears.push(output);
  }

  /** Reads the model's weights and uploads them (all but the token embeddings) to the GPU. */
  static async load(kernels: GpuKernels, desc: EngineModel): Promise<GpuForward> {
    const hp = desc.hparams;
    if (hp.nHead <= 0 || hp.nHeadKv <= 0 || hp.nHead % hp.nHeadKv || hp.headDim <= 0 || hp.ropeDim > hp.headDim || hp.ropeDim % 2)
      throw new Error('inconsistent attention hyper-parameters');
    checkAttentionShape(hp);
    const s = hp.ropeScaling;
    if (s && s.type !== 'none' && s.type !== 'linear') throw new Error(`RoPE scaling '${s.type}' is not supported by the engine yet`);
    const ops = await ForwardOps.create(kernels.runner);
    const byName = new Map(desc.tensors.map((t) => [t.name, t]));
    const get = (name: string) => {
      const t = byName.get(name);
      if (!t) throw new Error(`tensor ${name} is missing`);
      return t;
    };
    const uploaded: Linear[] = [];
    const vectors: GPUBuffer[] = [];
    const linear = async (t: TensorRef, cols: number, rows: number): Promise<Linear> => {
      expectShape(t, cols, rows);
      const mm = await kernels.matmulPrepare(shaderType(t.type), readTensorBytes(t), rows, cols);
      const l = { name: t.name, rows, cols, mm };
      uploaded.push(l);
      return l;
    };
    const vector = (name: string, n: number): GPUBuffer => {
      const t = get(name);
      expectShape(t, n, 1);
      const b = kernels.runner.storage(native().dequantize(t.type, readTensorBytes(t), n));
      vectors.push(b);
      return b;
    };
    const optional = (name: string, n: number): GPUBuffer | undefined => (byName.has(name) ? vector(name, n) : undefined);
    try {
      const E = hp.nEmbd;
      const qd = hp.nHead * hp.headDim;
      const kvd = hp.nHeadKv * hp.headDim;
      const embT = get('token_embd.weight');
      expectShape(embT, E, hp.nVocab);
      const embd = { type: embT.type, bytes: readTensorBytes(embT), rowBytes: geometry(embT).rowBytes };
      const outputNorm = vector('output_norm.weight', E);
      const layers: Layer[] = [];
      for (let l = 0; l < hp.nLayer; l++) {
        const p = `blk.${l}.`;
        layers.push({
          attnNorm: vector(`${p}attn_norm.weight`, E),
          ffnNorm: vector(`${p}ffn_norm.weight`, E),
          wq: await linear(get(`${p}attn_q.weight`), E, qd),
          wk: await linear(get(`${p}attn_k.weight`), E, kvd),
          wv: await linear(get(`${p}attn_v.weight`), E, kvd),
          wo: await linear(get(`${p}attn_output.weight`), qd, E),
          gate: await linear(get(`${p}ffn_gate.weight`), E, hp.nFf),
          up: await linear(get(`${p}ffn_up.weight`), E, hp.nFf),
          down: await linear(get(`${p}ffn_down.weight`), hp.nFf, E),
          bq: optional(`${p}attn_q.bias`, qd),
          bk: optional(`${p}attn_k.bias`, kvd),
          bv: optional(`${p}attn_v.bias`, kvd),
          qNorm: optional(`${p}attn_q_norm.weight`, hp.headDim),
          kNorm: optional(`${p}attn_k_norm.weight`, hp.headDim),
        });
      }
      // a model without output.weight ties the classifier to the embeddings (uploaded as such)
      const output = await linear(byName.get('output.weight') ?? embT, E, hp.nVocab);
      return new GpuForward(kernels, ops, desc, embd, layers, outputNorm, output, vectors);
    } catch (e) {
      for (const l of uploaded) l.mm.release();
      for (const b of vectors) b.destroy();
      throw e;
    }
  }

  get nVocab(): number {
    return this.desc.hparams.nVocab;
  }

  /** Frees the weights on the device. */
  release(): void {
    for (const l of this.linears) l.mm.release();
    for (const b of this.vectors) b.destroy();
    this.linears.length = 0;
    this.vectors.length = 0;
  }

  /** The token embeddings of `tokens` (tokens × n_embd), dequantized on the host. */
  private embed(tokens: Int32Array): Float32Array {
    const hp = this.desc.hparams;
    const E = hp.nEmbd;
    const x = new Float32Array(tokens.length * E);
    for (let t = 0; t < tokens.length; t++) {
      const id = tokens[t];
      if (!Number.isInteger(id) || id < 0 || id >= hp.nVocab) throw new Error(`token id ${id} is outside the vocabulary of ${hp.nVocab}`);
      const row = this.embd.bytes.subarray(id * this.embd.rowBytes, (id + 1) * this.embd.rowBytes);
      x.set(native().dequantize(this.embd.type, row, E), t * E);
    }
    return x;
  }

  /**
   * Logits (tokens − logitsFrom) × nVocab for positions logitsFrom.. of `tokens`, evaluated from an
   * empty cache at positions 0..n-1 (none when logitsFrom = n). Each layer is submitted and waited
   * for in turn, and `checkCancel` runs between layers and may throw.
   */
  async forward(tokens: Int32Array, logitsFrom: number, checkCancel?: () => void, tap?: LinearInputTap): Promise<Float32Array> {
    if (this.linears.length === 0) throw new Error('the model was released');
    const hp = this.desc.hparams;
    const n = tokens.length;
    if (logitsFrom < 0 || logitsFrom > n) throw new Error(`logits from position ${logitsFrom} of ${n}`);
    const nl = n - logitsFrom;
    if (n === 0) return new Float32Array(0);
    const E = hp.nEmbd;
    const qd = hp.nHead * hp.headDim;
    const kvd = hp.nHeadKv * hp.headDim;
    const ropeParams: RopeParams = {
      headDim: hp.headDim,
      ropeDim: hp.ropeDim,
      base: hp.ropeBase,
      freqScale: hp.ropeScaling?.type === 'linear' && hp.ropeScaling.factor > 0 ? 1 / hp.ropeScaling.factor : 1,
      neox: hp.ropeType === 'neox',
    };
    const r = this.kernels.runner;
    const ops = this.ops;
    const buffers: GPUBuffer[] = [];
    const buffer = (floats: number | Float32Array): GPUBuffer => {
      const b = r.storage(typeof floats === 'number' ? floats * 4 : floats);
      buffers.push(b);
      return b;
    };
    const temps: GPUBuffer[] = [];
    const run = async (record: (enc: GPUCommandEncoder) => void): Promise<void> => {
      const enc = r.device.createCommandEncoder();
      record(enc);
      r.device.queue.submit([enc.finish()]);
      await r.device.queue.onSubmittedWorkDone();
      for (const b of temps.splice(0)) b.destroy();
    };
    try {
      const x = buffer(this.embed(tokens));
      const table = buffer(ropeTable(n, ropeParams));
      const [xn, q, k, v, attn] = [buffer(n * E), buffer(n * qd), buffer(n * kvd), buffer(n * kvd), buffer(n * qd)];
      const [gate, up] = [buffer(n * hp.nFf), buffer(n * hp.nFf)];
      const qNormed = this.layers.some((L) => L.qNorm) ? buffer(n * qd) : q;
      const kNormed = this.layers.some((L) => L.kNorm) ? buffer(n * kvd) : k;
      for (const L of this.layers) {
        checkCancel?.();
        await run((enc) => {
          const input = (names: Linear[], buf: GPUBuffer, dim: number) => {
            if (tap) temps.push(...tap(enc, names.map((l) => l.name), buf, n, dim));
          };
          ops.rmsNorm(enc, temps, x, L.attnNorm, xn, n, E, hp.rmsEps);
          input([L.wq, L.wk, L.wv], xn, E);
          temps.push(...L.wq.mm.encode(enc, xn, q, n), ...L.wk.mm.encode(enc, xn, k, n), ...L.wv.mm.encode(enc, xn, v, n));
          if (L.bq) ops.addBias(enc, temps, q, L.bq, n, qd);
          if (L.bk) ops.addBias(enc, temps, k, L.bk, n, kvd);
          if (L.bv) ops.addBias(enc, temps, v, L.bv, n, kvd);
          if (L.qNorm) ops.rmsNorm(enc, temps, q, L.qNorm, qNormed, n * hp.nHead, hp.headDim, hp.rmsEps);
          if (L.kNorm) ops.rmsNorm(enc, temps, k, L.kNorm, kNormed, n * hp.nHeadKv, hp.headDim, hp.rmsEps);
          const qr = L.qNorm ? qNormed : q;
          const kr = L.kNorm ? kNormed : k;
          ops.rope(enc, temps, qr, table, n, hp.nHead, ropeParams);
          ops.rope(enc, temps, kr, table, n, hp.nHeadKv, ropeParams);
          ops.attention(enc, temps, qr, kr, v, attn, n, hp);
          input([L.wo], attn, qd);
          temps.push(...L.wo.mm.encode(enc, attn, x, n, true));

          ops.rmsNorm(enc, temps, x, L.ffnNorm, xn, n, E, hp.rmsEps);
          input([L.gate, L.up], xn, E);
          temps.push(...L.gate.mm.encode(enc, xn, gate, n), ...L.up.mm.encode(enc, xn, up, n));
          ops.swiglu(enc, temps, gate, up, n * hp.nFf);
          input([L.down], gate, hp.nFf);
          temps.push(...L.down.mm.encode(enc, gate, x, n, true));
        });
      }
      checkCancel?.();
      if (nl === 0) return new Float32Array(0);
      const last = buffer(nl * E);
      const logits = buffer(nl * hp.nVocab);
      const enc = r.device.createCommandEncoder();
      ops.rmsNorm(enc, temps, x, this.outputNorm, last, nl, E, hp.rmsEps, logitsFrom);
      temps.push(...this.output.mm.encode(enc, last, logits, nl));
      return new Float32Array(await r.readback(enc, logits, nl * hp.nVocab * 4));
    } finally {
      for (const b of [...buffers, ...temps]) b.destroy();
    }
  }
}
