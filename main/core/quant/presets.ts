// llama-quantize's preset mixes ("Q4_K_M" …): which ggml type each tensor gets. These files are
// the baselines every method of ours is compared with, so the rules follow llama.cpp's
// llama_tensor_get_type exactly, including its counters that walk tensors in name order.
import { ggmlTypeByName, rowsFit } from '../gguf/ggml-types.js';

export const PRESET_DEFAULT_TYPE: Record<string, string> = {
  F32: 'F32', F16: 'F16', BF16: 'BF16', Q4_0: 'Q4_0', Q4_1: 'Q4_1', Q5_0: 'Q5_0', Q5_1: 'Q5_1', Q8_0: 'Q8_0',
  Q2_K: 'Q2_K', Q2_K_S: 'Q2_K', Q3_K_S: 'Q3_K', Q3_K_M: 'Q3_K', Q3_K_L: 'Q3_K', Q4_K_S: 'Q4_K', Q4_K_M: 'Q4_K',
  Q5_K_S: 'Q5_K', Q5_K_M: 'Q5_K', Q6_K: 'Q6_K', IQ4_NL: 'IQ4_NL', IQ4_XS: 'IQ4_XS', MXFP4_MOE: 'MXFP4',
};

export const PRESETS = Object.keys(PRESET_DEFAULT_TYPE);

export interface PresetModelInfo {
  architecture: string;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nEmbd: number;
  nExpert?: number;
  hasImatrix: boolean;
}

export interface PresetTensor {
  name: string;
  ne: number[];
  /** current ggml type name */
  type: string;
}

export interface PresetChoice {
  type: string;
  /** set when the preferred type did not fit the row width and llama.cpp's fallback applied */
  fallbackFrom?: string;
}

/** Whether llama-quantize quantizes this tensor at all (norms, 1-D tensors, gates … stay as they are). */
export function isQuantizable(t: PresetTensor): boolean {
  const nDims = t.ne.reduce((n, d, i) => (d > 1 ? i + 1 : n), 1);
  const n = t.name;
  return (
    n.endsWith('weight') &&
    nDims >= 2 &&
    !n.includes('_norm.weight') &&
    !n.includes('ffn_gate_inp.weight') &&
    !n.includes('pos_embd') &&
    !n.includes('token_types')
  );
}

/** The type a tensor that is not quantized is written in. */
export function unquantizedType(t: PresetTensor): string {
  // llama.cpp computes with 1-D tensors (norms, biases) in F32 only, as its converter writes them
  return t.ne.filter((d) => d > 1).length <= 1 ? 'F32' : t.type;
}

const FALLBACK: Record<string, string> = {
  Q2_K: 'IQ4_NL', Q3_K: 'IQ4_NL', IQ4_XS: 'IQ4_NL', Q4_K: 'Q5_0', Q5_K: 'Q5_1', Q6_K: 'Q8_0',
};

const useMoreBits = (i: number, n: number) => i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;

/** The per-tensor types llama-quantize would choose for `preset` (without --pure). */
export function presetTypes(tensors: PresetTensor[], preset: string, info: PresetModelInfo, pure = false): Map<string, PresetChoice> {
  const defaultType = PRESET_DEFAULT_TYPE[preset];
  if (!defaultType) throw new Error(`unknown preset ${preset}; known: ${PRESETS.join(', ')}`);
  const quantizedDefault = ggmlTypeByName(defaultType)!.blockSize > 1;
  const nExpert = Math.max(1, info.nExpert ?? 0);
  const nGqa = info.nHead / info.nHeadKv;
  const is70B = info.architecture === 'llama' && info.nLayer === 80 && info.nHead !== info.nHeadKv;
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  const nAttnV = tensors.filter((t) => t.name.includes('attn_v.weight') || t.name.includes('attn_qkv.weight')).length;
  const nLayer = info.nLayer;
  const counters = { attnV: 0, ffnDown: 0 };
  const layerOf = (counter: number, name: string): number => {
    if (nExpert <= 1) return counter;
    const m = /^blk\.(\d+)\./.exec(name);
    if (!m) throw new Error(`cannot find the layer of tensor ${name}`);
    return Number(m[1]);
  };

  const choose = (t: PresetTensor): PresetChoice => {
    let type = defaultType;
    const name = t.name;
    const p = preset;
    if (name === 'output.weight' || (!hasOutput && name === 'token_embd.weight')) {
      if (p === 'MXFP4_MOE') type = 'Q8_0';
      else if (!rowsFit(type, t.ne[0])) type = 'Q8_0';
      else if (type !== 'Q8_0') type = 'Q6_K';
    } else if (p === 'MXFP4_MOE') {
      type = (t.ne[2] ?? 1) > 1 ? 'MXFP4' : 'Q8_0';
    } else if (name === 'token_embd.weight') {
      // only the IQ1/IQ2/IQ3/TQ presets (not offered here) change the token embedding
    } else if (name.includes('attn_v.weight')) {
      if (p === 'Q2_K') type = nGqa >= 4 ? 'Q4_K' : 'Q3_K';
      else if (p === 'Q2_K_S' && nGqa >= 4) type = 'Q4_K';
      else if (p === 'Q3_K_M') type = counters.attnV < 2 ? 'Q5_K' : 'Q4_K';
      else if (p === 'Q3_K_L') type = 'Q5_K';
      else if ((p === 'IQ4_NL' || p === 'IQ4_XS') && nGqa >= 4) type = 'Q5_K';
      else if ((p === 'Q4_K_M' || p === 'Q5_K_M') && useMoreBits(counters.attnV, nAttnV)) type = 'Q6_K';
      else if (p === 'Q4_K_S' && counters.attnV < 4) type = 'Q5_K';
      if (is70B && (type === 'Q3_K' || type === 'Q4_K')) type = 'Q5_K';
      if (nExpert === 8) type = 'Q8_0';
      counters.attnV++;
    } else if (name.includes('attn_k.weight')) {
      if (nExpert === 8) type = 'Q8_0';
    } else if (name.includes('attn_q.weight')) {
      // only IQ3 presets change attn_q
    } else if (name.includes('ffn_down')) {
      const i = layerOf(counters.ffnDown, name);
      const n = nLayer;
      const falcon = info.architecture === 'falcon';
      if (p === 'Q2_K') type = 'Q3_K';
      else if (p === 'Q2_K_S') {
        if (i < Math.floor(n / 8)) type = 'Q4_K';
      } else if (p === 'Q3_K_M') type = i < Math.floor(n / 16) ? 'Q5_K' : !falcon || useMoreBits(i, n) ? 'Q4_K' : 'Q3_K';
      else if (p === 'Q3_K_L') type = falcon ? 'Q4_K' : 'Q5_K';
      else if (p === 'Q4_K_M') {
        if (falcon) type = i < Math.floor(n / 16) ? 'Q6_K' : useMoreBits(i, n) ? 'Q5_K' : 'Q4_K';
        else if (useMoreBits(i, n)) type = 'Q6_K';
      } else if (i < Math.floor(n / 8) && (p === 'IQ4_NL' || p === 'IQ4_XS') && !info.hasImatrix) type = 'Q5_K';
      else if (p === 'Q5_K_M' && useMoreBits(i, n)) type = 'Q6_K';
      else if (p === 'Q4_K_S' && !falcon && i < Math.floor(n / 8)) type = 'Q5_K';
      else if ((p === 'Q4_0' || p === 'Q5_0') && info.hasImatrix && i < Math.floor(n / 8)) type = p === 'Q4_0' ? 'Q4_1' : 'Q5_1';
      counters.ffnDown++;
    } else if (name.includes('attn_output.weight')) {
      if (info.architecture !== 'falcon') {
        if (nExpert === 8) {
          if (['Q2_K', 'Q3_K_S', 'Q3_K_M', 'IQ4_NL', 'Q4_K_S', 'Q4_K_M', 'IQ4_XS'].includes(p)) type = 'Q5_K';
        } else if (p === 'Q2_K') type = 'Q3_K';
        else if (p === 'Q3_K_M') type = 'Q4_K';
        else if (p === 'Q3_K_L') type = 'Q5_K';
      } else if (p === 'Q3_K_L') type = 'Q4_K';
    } else if (name.includes('attn_qkv.weight')) {
      if (p === 'Q3_K_M' || p === 'Q3_K_L') type = 'Q4_K';
      else if (p === 'Q4_K_M') type = 'Q5_K';
      else if (p === 'Q5_K_M') type = 'Q6_K';
    }

    return fitRowWidth(t, type);
  };

  const out = new Map<string, PresetChoice>();
  // llama.cpp walks its tensor map in byte order of the names; the counters depend on it.
  const ordered = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of ordered) {
    if (!isQuantizable(t)) {
      out.set(t.name, { type: unquantizedType(t) });
      continue;
    }
    if (!quantizedDefault) {
      out.set(t.name, { type: defaultType });
      continue;
    }
    out.set(t.name, pure ? fitRowWidth(t, defaultType) : choose(t));
  }
  return out;
}

/**
 * llama.cpp's fallback for rows that are not a whole number of blocks: k-quants and IQ4_XS step
 * to a 32-block type of similar size, and whatever still does not fit is stored as F16.
 */
export function fitRowWidth(t: PresetTensor, type: string): PresetChoice {
  if (rowsFit(type, t.ne[0])) return { type };
  const fb = FALLBACK[type];
  return { type: fb && rowsFit(fb, t.ne[0]) ? fb : 'F16', fallbackFrom: type };
}
