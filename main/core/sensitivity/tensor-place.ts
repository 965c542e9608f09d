// Where a tensor sits in a model, from its name: block index, kind and expert. Covers llama.cpp's
// GGUF names (dense, merged experts *_exps, shared experts *_shexp, the router ffn_gate_inp, the
// older per-expert split blk.N.ffn_down.E.weight) and the Hugging Face names of llama-style and
// MoE checkpoints (Mixtral block_sparse_moe, Qwen-MoE mlp.experts / shared_expert).
import type { TensorPlace } from '../../contract/sensitivity.js';

const HF_KIND: Record<string, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'self_attn.q_norm': 'attn_q_norm',
  'self_attn.k_norm': 'attn_k_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
  input_layernorm: 'attn_norm',
  post_attention_layernorm: 'ffn_norm',
  'block_sparse_moe.gate': 'ffn_gate_inp',
  'mlp.gate': 'ffn_gate_inp',
  'mlp.shared_expert.gate_proj': 'ffn_gate_shexp',
  'mlp.shared_expert.up_proj': 'ffn_up_shexp',
  'mlp.shared_expert.down_proj': 'ffn_down_shexp',
  'mlp.shared_expert_gate': 'ffn_gate_inp_shexp',
};

const HF_EXPERT_KIND: Record<string, string> = {
  w1: 'ffn_gate',
  w2: 'ffn_down',
  w3: 'ffn_up',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  down_proj: 'ffn_down',
};

const HF_GLOBAL: Record<string, string> = {
  'model.embed_tokens': 'token_embd',
  lm_head: 'output',
  'model.norm': 'output_norm',
};

/** The parameter suffix (weight, bias, scale …) is part of the kind except for weights. */
function withSuffix(kind: string, suffix: string): string {
  return suffix === 'weight' ? kind : `${kind}.${suffix}`;
}

export function tensorPlace(name: string): TensorPlace {
  let m = /^blk\.(\d+)\.(.+)\.(\d+)\.(\w+)$/.exec(name);
  if (m) return { layer: Number(m[1]), kind: withSuffix(m[2], m[4]), expert: Number(m[3]) };
  m = /^blk\.(\d+)\.(.+)\.(\w+)$/.exec(name);
  if (m) return { layer: Number(m[1]), kind: withSuffix(m[2], m[3]) };
  m = /^model\.layers\.(\d+)\.(?:block_sparse_moe|mlp)\.experts\.(\d+)\.(\w+)\.(\w+)$/.exec(name);
  if (m && HF_EXPERT_KIND[m[3]]) return { layer: Number(m[1]), kind: withSuffix(HF_EXPERT_KIND[m[3]], m[4]), expert: Number(m[2]) };
  m = /^model\.layers\.(\d+)\.(.+)\.(\w+)$/.exec(name);
  if (m) return { layer: Number(m[1]), kind: withSuffix(HF_KIND[m[2]] ?? m[2], m[3]) };
  m = /^(.+)\.(\w+)$/.exec(name);
  if (m) return { layer: null, kind: withSuffix(HF_GLOBAL[m[1]] ?? m[1], m[2]) };
  return { layer: null, kind: name };
}

/** The dense kind a MoE kind belongs to: ffn_down_exps and ffn_down_shexp → ffn_down. */
export function baseKind(kind: string): string {
  return kind.replace(/_(exps|shexp)$/, '');
}

/** Merged expert tensors hold every expert of a layer in one tensor (ne[2] = experts). */
export function isMergedExperts(kind: string): boolean {
  return kind.endsWith('_exps');
}
