// GGUF metadata for sources that are not GGUF (Hugging Face folders, llama2.c checkpoints):
// llama.cpp's architecture keys from the hyper-parameters, plus the tokenizer's keys.
import type { GgufKv } from '../gguf/gguf-values.js';
import { kv } from '../gguf/writer.js';
import type { ModelDescription } from '../model/types.js';

/** GGUF architecture name: llama.cpp stores Mistral as llama. */
export function ggufArchitecture(arch: string): string {
  if (arch === 'mistral') return 'llama';
  if (!['llama', 'qwen2', 'qwen3'].includes(arch)) throw new Error(`cannot export architecture ${arch} (supported: llama, mistral, qwen2, qwen3)`);
  return arch;
}

export function architectureMetadata(desc: ModelDescription): Map<string, GgufKv> {
  const h = desc.hparams;
  const arch = ggufArchitecture(h.architecture);
  const m = new Map<string, GgufKv>();
  m.set('general.architecture', kv.str(arch));
  m.set('general.name', kv.str(desc.name));
  const p = (k: string, v: GgufKv) => m.set(`${arch}.${k}`, v);
  p('context_length', kv.u32(h.nCtxTrain));
  p('embedding_length', kv.u32(h.nEmbd));
  p('block_count', kv.u32(h.nLayer));
  p('feed_forward_length', kv.u32(h.nFf));
  p('rope.dimension_count', kv.u32(h.ropeDim));
  p('attention.head_count', kv.u32(h.nHead));
  p('attention.head_count_kv', kv.u32(h.nHeadKv));
  p('attention.layer_norm_rms_epsilon', kv.f32(h.rmsEps));
  p('rope.freq_base', kv.f32(h.ropeBase));
  if (h.headDim * h.nHead !== h.nEmbd) {
    p('attention.key_length', kv.u32(h.headDim));
    p('attention.value_length', kv.u32(h.headDim));
  }
  const s = h.ropeScaling;
  if (s.type === 'linear' || s.type === 'yarn') {
    p('rope.scaling.type', kv.str(s.type));
    p('rope.scaling.factor', kv.f32(s.factor));
    if (s.originalContext) p('rope.scaling.original_context_length', kv.u32(s.originalContext));
  } else if (s.type === 'llama3') {
    // llama.cpp reads llama3 scaling from a rope_freqs.weight tensor, which the exporter must add
    throw new Error('exporting llama3 rope scaling is not supported yet (llama.cpp needs a rope_freqs tensor)');
  }
  return m;
}

/**
 * Hugging Face llama/mistral checkpoints keep q and k rows in "rotate half" order; llama.cpp's
 * llama architecture expects adjacent RoPE pairs, so its converter permutes the rows of each head.
 * Returns, for each output row, the source row (null when no permutation is needed).
 */
export function ropeRowOrder(desc: ModelDescription, tensorName: string): Int32Array | null {
  if (desc.format !== 'hf' || ggufArchitecture(desc.hparams.architecture) !== 'llama') return null;
  const m = /\.attn_([qk])\.weight$/.exec(tensorName);
  if (!m) {
    if (/\.attn_[qk]\.bias$/.test(tensorName)) throw new Error(`cannot export ${tensorName}: llama q/k biases would need the RoPE permutation`);
    return null;
  }
  const heads = m[1] === 'q' ? desc.hparams.nHead : desc.hparams.nHeadKv;
  const dim = desc.hparams.headDim;
  const half = dim / 2;
  const order = new Int32Array(heads * dim);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let j = 0; j < 2; j++) order[h * dim + 2 * i + j] = h * dim + j * half + i;
  return order;
}
