// llama2.c checkpoints: a 7 × int32 header (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
// vocab_size — negative when a separate classifier follows —, seq_len), then F32 weights in a fixed
// order. Each weight becomes a TensorRef into the .bin itself; llama2.c rotates adjacent pairs,
// which is llama.cpp's "normal" RoPE, so nothing is permuted.
import fs from 'node:fs';
import path from 'node:path';

import { ModelImportError } from './errors.js';
import type { ModelDescription, TensorRef } from './types.js';
import { validateDescription } from './validate.js';

export function importLlama2c(file: string): ModelDescription {
  const fail = (msg: string): never => {
    throw new ModelImportError(file, msg);
  };
  const size = fs.statSync(file).size;
  if (size < 28) fail('too short for a llama2.c checkpoint');
  const head = Buffer.alloc(28);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 28, 0);
  } finally {
    fs.closeSync(fd);
  }
  const [dim, hidden, nLayer, nHead, nHeadKv, vocabRaw, seqLen] = Array.from({ length: 7 }, (_, i) => head.readInt32LE(i * 4));
  const nVocab = Math.abs(vocabRaw);
  const shared = vocabRaw > 0;
  if ([dim, hidden, nLayer, nHead, nHeadKv, nVocab, seqLen].some((v) => v <= 0 || v > 1 << 20))
    fail(`not a llama2.c checkpoint (header ${[dim, hidden, nLayer, nHead, nHeadKv, vocabRaw, seqLen].join(', ')})`);
  if (dim % nHead !== 0 || nHead % nHeadKv !== 0) fail(`inconsistent heads: dim ${dim}, ${nHead} heads, ${nHeadKv} KV heads`);
  const headDim = dim / nHead;
  const kvDim = nHeadKv * headDim;
  const tensors: TensorRef[] = [];
  let offset = 28;
  // one block of n_layers tensors of shape ne, stored back to back
  const block = (kind: string, ne: number[], layered = true) => {
    const elems = ne.reduce((a, b) => a * b, 1);
    for (let l = 0; l < (layered ? nLayer : 1); l++) {
      tensors.push({ name: layered ? `blk.${l}.${kind}` : kind, type: 'F32', ne, file, offset, nbytes: elems * 4 });
      offset += elems * 4;
    }
  };
  block('token_embd.weight', [dim, nVocab], false);
  block('attn_norm.weight', [dim]);
  block('attn_q.weight', [dim, dim]);
  block('attn_k.weight', [dim, kvDim]);
  block('attn_v.weight', [dim, kvDim]);
  block('attn_output.weight', [dim, dim]);
  block('ffn_norm.weight', [dim]);
  block('ffn_gate.weight', [dim, hidden]);
  block('ffn_down.weight', [hidden, dim]);
  block('ffn_up.weight', [dim, hidden]);
  block('output_norm.weight', [dim], false);
  offset += seqLen * headDim * 4; // freq_cis_real and freq_cis_imag (seq_len × head_size/2 each), unused
  if (!shared) block('output.weight', [dim, nVocab], false);
  if (offset > size) fail(`the weights need ${offset} bytes but the file has ${size}: truncated`);
  const desc: ModelDescription = {
    format: 'llama2c',
    path: file,
    name: path.basename(file, path.extname(file)),
    hparams: {
      architecture: 'llama', nVocab, nEmbd: dim, nFf: hidden, nLayer, nHead, nHeadKv, headDim, nCtxTrain: seqLen,
      rmsEps: Math.fround(1e-5), ropeBase: 10000, ropeDim: headDim, ropeType: 'normal', ropeScaling: { type: 'none', factor: 1 },
    },
    tensors,
  };
  validateDescription(desc);
  return desc;
}

/** Whether the file starts like a llama2.c checkpoint. */
export function looksLikeLlama2c(file: string): boolean {
  try {
    importLlama2c(file);
    return true;
  } catch {
    return false;
  }
}
