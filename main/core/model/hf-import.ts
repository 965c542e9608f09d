// Hugging Face folders: config.json + model.safetensors (or shards listed in
// model.safetensors.index.json) for the llama, mistral, qwen2 and qwen3 architectures. Tensors keep
// HF's storage ([out, in] row-major = ggml ne [in, out]) and are renamed to llama.cpp's names.
// HF llama/mistral keep q/k rows in "rotate half" order, so the engine reads them unpermuted with
// NeoX-style RoPE; the GGUF exporter applies llama.cpp's permutation instead.
import fs from 'node:fs';
import path from 'node:path';

import { ModelImportError } from './errors.js';
import { readSafetensorsHeader } from './safetensors.js';
import type { ModelDescription, RopeScaling, TensorRef } from './types.js';
import { validateDescription } from './validate.js';

const ARCHITECTURES: Record<string, string> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

const LAYER_NAMES: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.q_norm.weight': 'attn_q_norm.weight',
  'self_attn.k_norm.weight': 'attn_k_norm.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

/** llama.cpp's name for an HF tensor; null for tensors to skip, undefined for unknown ones. */
export function llamaCppName(hf: string): string | null | undefined {
  if (hf === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hf === 'model.norm.weight') return 'output_norm.weight';
  if (hf === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (m && LAYER_NAMES[m[2]]) return `blk.${m[1]}.${LAYER_NAMES[m[2]]}`;
  if (/rotary_emb\.inv_freq$/.test(hf)) return null; // recomputed from rope_theta
  return undefined;
}

export function importHf(dir: string): ModelDescription {
  const fail = (m: string): never => {
    throw new ModelImportError(dir, m);
  };
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) fail('no config.json: not a Hugging Face model folder');
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch {
    return fail('config.json is not valid JSON');
  }
  const archName = (cfg.architectures as string[] | undefined)?.[0] ?? String(cfg.model_type);
  const architecture = ARCHITECTURES[archName];
  if (!architecture) fail(`architecture ${archName} is not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);
  const n = (k: string, fallback?: number): number => {
    const v = cfg[k];
    if (typeof v === 'number') return v;
    if (fallback !== undefined) return fallback;
    return fail(`config.json has no ${k}`);
  };
  const nEmbd = n('hidden_size');
  const nHead = n('num_attention_heads');
  const headDim = n('head_dim', nEmbd / nHead);
  const rs = cfg.rope_scaling as Record<string, unknown> | null | undefined;
  const rsType = String(rs?.rope_type ?? rs?.type ?? 'none');
  if (rs && !['linear', 'none', 'default'].includes(rsType)) fail(`rope scaling "${rsType}" is not supported yet`);
  const ropeScaling: RopeScaling = rsType === 'linear' ? { type: 'linear', factor: Number(rs!.factor) } : { type: 'none', factor: 1 };

  const files = weightFiles(dir);
  const tensors: TensorRef[] = [];
  for (const file of files)
    for (const e of readSafetensorsHeader(file)) {
      const name = llamaCppName(e.name);
      if (name === null) continue;
      if (name === undefined) return fail(`tensor ${e.name} in ${path.basename(file)} is not part of the ${archName} layout`);
      if (!['F32', 'F16', 'BF16'].includes(e.dtype)) fail(`tensor ${e.name} has dtype ${e.dtype}; supported: F32, F16, BF16`);
      tensors.push({ name, type: e.dtype, ne: [...e.shape].reverse(), file, offset: e.offset, nbytes: e.nbytes });
    }
  if (cfg.tie_word_embeddings === true) {
    const i = tensors.findIndex((t) => t.name === 'output.weight');
    if (i >= 0) tensors.splice(i, 1); // tied: the engine reuses token_embd
  }
  const desc: ModelDescription = {
    format: 'hf',
    path: dir,
    name: path.basename(path.resolve(dir)),
    hparams: {
      architecture,
      nVocab: n('vocab_size'),
      nEmbd,
      nFf: n('intermediate_size'),
      nLayer: n('num_hidden_layers'),
      nHead,
      nHeadKv: n('num_key_value_heads', nHead),
      headDim,
      nCtxTrain: n('max_position_embeddings', 2048),
      rmsEps: Math.fround(n('rms_norm_eps', 1e-6)),
      ropeBase: n('rope_theta', 10000),
      ropeDim: headDim,
      ropeType: 'neox',
      ropeScaling,
    },
    tensors,
  };
  const tok = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(tok)) desc.tokenizerPath = tok;
  validateDescription(desc);
  return desc;
}

function weightFiles(dir: string): string[] {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    let map: Record<string, string>;
    try {
      map = JSON.parse(fs.readFileSync(index, 'utf8')).weight_map;
    } catch {
      throw new ModelImportError(dir, 'model.safetensors.index.json is not valid JSON');
    }
    const files = [...new Set(Object.values(map ?? {}))].map((f) => path.join(dir, f));
    if (!files.length) throw new ModelImportError(dir, 'model.safetensors.index.json lists no weights');
    for (const f of files) if (!fs.existsSync(f)) throw new ModelImportError(dir, `shard ${path.basename(f)} listed in the index is missing`);
    return files;
  }
  const single = path.join(dir, 'model.safetensors');
  if (fs.existsSync(single)) return [single];
  throw new ModelImportError(dir, 'no model.safetensors or model.safetensors.index.json');
}
