// Checks that a description has every tensor the Llama-family forward pass needs, with shapes
// consistent with the hyper-parameters, before the engine maps anything.
import { ModelImportError } from './errors.js';
import type { ModelDescription, TensorRef } from './types.js';

export const SUPPORTED_ARCHITECTURES = ['llama', 'mistral', 'qwen2', 'qwen3'];

export function validateDescription(d: ModelDescription): void {
  const h = d.hparams;
  const fail = (msg: string): never => {
    throw new ModelImportError(d.path, msg);
  };
  if (!SUPPORTED_ARCHITECTURES.includes(h.architecture))
    fail(`architecture "${h.architecture}" is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  for (const [k, v] of Object.entries(h))
    if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) fail(`hyper-parameter ${k} is ${v}`);
  if (h.nEmbd < 1 || h.nLayer < 1 || h.nHead < 1 || h.nHeadKv < 1 || h.nVocab < 1 || h.nFf < 1) fail('hyper-parameters must be positive');
  if (h.nHead % h.nHeadKv !== 0) fail(`${h.nHead} attention heads cannot share ${h.nHeadKv} KV heads`);
  if (h.headDim % 2 !== 0 || h.ropeDim > h.headDim || h.ropeDim % 2 !== 0) fail(`head size ${h.headDim} / RoPE dimension ${h.ropeDim} are inconsistent`);
  if (h.nLayer > 4096 || h.nEmbd > 1 << 20 || h.nVocab > 1 << 24) fail('hyper-parameters are implausibly large');

  const byName = new Map<string, TensorRef>(d.tensors.map((t) => [t.name, t]));
  const need = (name: string, ne: number[], optional = false) => {
    const t = byName.get(name);
    if (!t) {
      if (optional) return false;
      return fail(`tensor ${name} is missing`);
    }
    const got = t.ne.filter((_, i) => i < ne.length || t.ne[i] !== 1);
    if (got.length !== ne.length || got.some((n, i) => n !== ne[i]))
      fail(`tensor ${name} has shape [${t.ne.join(', ')}], expected [${ne.join(', ')}]`);
    return true;
  };
  const qDim = h.nHead * h.headDim;
  const kvDim = h.nHeadKv * h.headDim;
  need('token_embd.weight', [h.nEmbd, h.nVocab]);
  need('output_norm.weight', [h.nEmbd]);
  need('output.weight', [h.nEmbd, h.nVocab], true);
  for (let l = 0; l < h.nLayer; l++) {
    const p = `blk.${l}.`;
    need(`${p}attn_norm.weight`, [h.nEmbd]);
    need(`${p}attn_q.weight`, [h.nEmbd, qDim]);
    need(`${p}attn_k.weight`, [h.nEmbd, kvDim]);
    need(`${p}attn_v.weight`, [h.nEmbd, kvDim]);
    need(`${p}attn_output.weight`, [qDim, h.nEmbd]);
    need(`${p}ffn_norm.weight`, [h.nEmbd]);
    need(`${p}ffn_gate.weight`, [h.nEmbd, h.nFf]);
    need(`${p}ffn_up.weight`, [h.nEmbd, h.nFf]);
    need(`${p}ffn_down.weight`, [h.nFf, h.nEmbd]);
    need(`${p}attn_q.bias`, [qDim], true);
    need(`${p}attn_k.bias`, [kvDim], true);
    need(`${p}attn_v.bias`, [kvDim], true);
    need(`${p}attn_q_norm.weight`, [h.headDim], true);
    need(`${p}attn_k_norm.weight`, [h.headDim], true);
  }
}
