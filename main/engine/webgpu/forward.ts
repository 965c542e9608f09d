// The llama-family forward pass with every linear layer (q, k, v, o, gate, up, down, output) on
// the GPU: the quantized weights are uploaded once and stay on the device; activations go up and
// products come back per call. Norms, RoPE, attention and SiLU run on the host (host-ops.ts),
// mirroring native/src/core/engine/forward.cpp.
import type { ModelDescription, TensorRef } from '../../core/model/types.js';
import { native } from '../native.js';
import { readTensorBytes } from '../tensor-values.js';
import { addBias, attention, headNorm, rmsNorm, rope, swiglu, type RopeParams } from './host-ops.js';
import { shaderType } from './index.js';
import type { GpuKernels, PreparedMatmul } from './kernels.js';

interface Linear {
  name: string;
  rows: number;
  cols: number;
  mm: PreparedMatmul;
}

interface Layer {
  attnNorm: Float32Array;
  ffnNorm: Float32Array;
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  gate: Linear;
  up: Linear;
  down: Linear;
  bq?: Float32Array;
  bk?: Float32Array;
  bv?: Float32Array;
  qNorm?: Float32Array;
  kNorm?: Float32Array;
}

/** ne[0] and the product of the other dimensions, checked against the byte count like the native engine. */
function geometry(t: TensorRef): { cols: number; rows: number; rowBytes: number } {
  const st = shaderType(t.type);
  const cols = t.ne[0];
  const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
  if (cols % st.blockSize !== 0) throw new Error(`tensor ${t.name}: ${cols} columns is not a whole number of ${t.type} blocks`);
  const rowBytes = (cols / st.blockSize) * st.typeSize;
  if (rowBytes * rows !== t.nbytes) throw new Error(`tensor ${t.name}: ${t.nbytes} bytes do not match its shape and type`);
  return { cols, rows, rowBytes };
}

function expectShape(t: TensorRef, cols: number, rows: number): void {
  const g = geometry(t);
  if (g.cols !== cols || g.rows !== rows) throw new Error(`tensor ${t.name} has shape [${g.cols}, ${g.rows}], expected [${cols}, ${rows}]`);
}

export class GpuForward {
  private readonly linears: Linear[] = [];

  private constructor(
    private readonly kernels: GpuKernels,
    private readonly desc: ModelDescription,
    private readonly embd: { type: string; bytes: Uint8Array; rowBytes: number },
    private readonly layers: Layer[],
    private readonly outputNorm: Float32Array,
    private readonly output: Linear,
  ) {
    for (const L of layers) this.linears.push(L.wq, L.wk, L.wv, L.wo, L.gate, L.up, L.down);
    this.linears.push(output);
  }

  /** Reads the model's weights, uploads the linear layers to the GPU and keeps the rest on the host. */
  static async load(kernels: GpuKernels, desc: ModelDescription): Promise<GpuForward> {
    const hp = desc.hparams;
    if (hp.nHead <= 0 || hp.nHeadKv <= 0 || hp.nHead % hp.nHeadKv || hp.headDim <= 0 || hp.ropeDim > hp.headDim || hp.ropeDim % 2)
      throw new Error('inconsistent attention hyper-parameters');
    const s = hp.ropeScaling;
    if (s && s.type !== 'none' && s.type !== 'linear') throw new Error(`RoPE scaling '${s.type}' is not supported by the engine yet`);
    const byName = new Map(desc.tensors.map((t) => [t.name, t]));
    const get = (name: string) => {
      const t = byName.get(name);
      if (!t) throw new Error(`tensor ${name} is missing`);
      return t;
    };
    const uploaded: Linear[] = [];
    const linear = async (t: TensorRef, cols: number, rows: number): Promise<Linear> => {
      expectShape(t, cols, rows);
      const mm = await kernels.matmulPrepare(shaderType(t.type), readTensorBytes(t), rows, cols);
      const l = { name: t.name, rows, cols, mm };
      uploaded.push(l);
      return l;
    };
    const vector = (name: string, n: number, optional = false): Float32Array | undefined => {
      const t = byName.get(name);
      if (!t) {
        if (optional) return undefined;
        throw new Error(`tensor ${name} is missing`);
      }
      expectShape(t, n, 1);
      return native().dequantize(t.type, readTensorBytes(t), n);
    };
    try {
      const E = hp.nEmbd;
      const qd = hp.nHead * hp.headDim;
      const kvd = hp.nHeadKv * hp.headDim;
      const embT = get('token_embd.weight');
      expectShape(embT, E, hp.nVocab);
      const embd = { type: embT.type, bytes: readTensorBytes(embT), rowBytes: geometry(embT).rowBytes };
      const outputNorm = vector('output_norm.weight', E)!;
      const layers: Layer[] = [];
      for (let l = 0; l < hp.nLayer; l++) {
        const p = `blk.${l}.`;
        layers.push({
          attnNorm: vector(`${p}attn_norm.weight`, E)!,
          ffnNorm: vector(`${p}ffn_norm.weight`, E)!,
          wq: await linear(get(`${p}attn_q.weight`), E, qd),
          wk: await linear(get(`${p}attn_k.weight`), E, kvd),
          wv: await linear(get(`${p}attn_v.weight`), E, kvd),
          wo: await linear(get(`${p}attn_output.weight`), qd, E),
          gate: await linear(get(`${p}ffn_gate.weight`), E, hp.nFf),
          up: await linear(get(`${p}ffn_up.weight`), E, hp.nFf),
          down: await linear(get(`${p}ffn_down.weight`), hp.nFf, E),
          bq: vector(`${p}attn_q.bias`, qd, true),
          bk: vector(`${p}attn_k.bias`, kvd, true),
          bv: vector(`${p}attn_v.bias`, kvd, true),
          qNorm: vector(`${p}attn_q_norm.weight`, hp.headDim, true),
          kNorm: vector(`${p}attn_k_norm.weight`, hp.headDim, true),
        });
      }
      // a model without output.weight ties the classifier to the embeddings (uploaded as such)
      const output = await linear(byName.get('output.weight') ?? embT, E, hp.nVocab);
      return new GpuForward(kernels, desc, embd, layers, outputNorm, output);
    } catch (e) {
      for (const l of uploaded) l.mm.release();
      throw e;
    }
  }

  get nVocab(): number {
    return this.desc.hparams.nVocab;
  }

  /** Frees the weights on the device. */
  release(): void {
    for (const l of this.linears) l.mm.release();
    this.linears.length = 0;
  }

  /**
   * Logits (tokens − logitsFrom) × nVocab for positions logitsFrom.. of `tokens`, evaluated from an
   * empty cache at positions 0..n-1. `checkCancel` runs between layers and may throw.
   */
  async forward(tokens: Int32Array, logitsFrom: number, checkCancel?: () => void): Promise<Float32Array> {
    if (this.linears.length === 0) throw new Error('the model was released');
    const hp = this.desc.hparams;
    const n = tokens.length;
    if (logitsFrom < 0 || logitsFrom > n) throw new Error(`logits from position ${logitsFrom} of ${n}`);
    const E = hp.nEmbd;
    const x = new Float32Array(n * E);
    for (let t = 0; t < n; t++) {
      const id = tokens[t];
      if (!Number.isInteger(id) || id < 0 || id >= hp.nVocab) throw new Error(`token id ${id} is outside the vocabulary of ${hp.nVocab}`);
      const row = this.embd.bytes.subarray(id * this.embd.rowBytes, (id + 1) * this.embd.rowBytes);
      x.set(native().dequantize(this.embd.type, row, E), t * E);
    }
    const ropeParams: RopeParams = {
      headDim: hp.headDim,
      ropeDim: hp.ropeDim,
      base: hp.ropeBase,
      freqScale: hp.ropeScaling?.type === 'linear' && hp.ropeScaling.factor > 0 ? 1 / hp.ropeScaling.factor : 1,
      neox: hp.ropeType === 'neox',
    };
    const xn = new Float32Array(n * E);
    for (const L of this.layers) {
      checkCancel?.();
      for (let t = 0; t < n; t++) rmsNorm(x, t * E, E, L.attnNorm, hp.rmsEps, xn, t * E);
      const [q, k, v] = await Promise.all([L.wq.mm.run(xn, n), L.wk.mm.run(xn, n), L.wv.mm.run(xn, n)]);
      if (L.bq) addBias(q, L.bq, n);
      if (L.bk) addBias(k, L.bk, n);
      if (L.bv) addBias(v, L.bv, n);
      if (L.qNorm) headNorm(q, n * hp.nHead, L.qNorm, hp.headDim, hp.rmsEps);
      if (L.kNorm) headNorm(k, n * hp.nHeadKv, L.kNorm, hp.headDim, hp.rmsEps);
      rope(q, n, hp.nHead, 0, ropeParams);
      rope(k, n, hp.nHeadKv, 0, ropeParams);
      const attn = attention(q, k, v, n, hp);
      const o = await L.wo.mm.run(attn, n);
      for (let i = 0; i < x.length; i++) x[i] += o[i];

      for (let t = 0; t < n; t++) rmsNorm(x, t * E, E, L.ffnNorm, hp.rmsEps, xn, t * E);
      const [gate, up] = await Promise.all([L.gate.mm.run(xn, n), L.up.mm.run(xn, n)]);
      swiglu(gate, up);
      const down = await L.down.mm.run(gate, n);
      for (let i = 0; i < x.length; i++) x[i] += down[i];
    }
    checkCancel?.();
    const nl = n - logitsFrom;
    if (nl === 0) return new Float32Array(0);
    const last = new Float32Array(nl * E);
    for (let t = 0; t < nl; t++) rmsNorm(x, (logitsFrom + t) * E, E, this.outputNorm, hp.rmsEps, last, t * E);
    return this.output.mm.run(last, nl);
  }
}
