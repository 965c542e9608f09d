// A SensitivityReport shaped like a 126-layer model (Llama 3.1 405B: 16384 wide, 53248 FFN,
// 128 heads, 8 KV heads), for the heatmap's speed test ONLY: the shapes and byte counts are
// exact, but the errors come from a formula over the shapes, not from measurements.
import { ggmlTypeByName, tensorBytes } from '../../main/core/gguf/ggml-types.js';
import type { SensitivityReport, TensorSensitivity } from '../../main/contract/sensitivity.js';

const TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'F16'];

export function syntheticReport(layers = 126, embd = 16384, ff = 53248, kvDim = 1024): SensitivityReport {
  const kinds: Array<[string, number[]]> = [
    ['attn_q', [embd, embd]], ['attn_k', [embd, kvDim]], ['attn_v', [embd, kvDim]], ['attn_output', [embd, embd]],
    ['ffn_gate', [embd, ff]], ['ffn_up', [embd, ff]], ['ffn_down', [ff, embd]],
  ];
  const tensors: TensorSensitivity[] = [];
  for (let l = 0; l < layers; l++)
    for (const [kind, ne] of kinds) {
      const n = ne[0] * ne[1];
      // formula, not measurement: error halves per extra bit, scaled by size and by depth
      const depth = 1 + Math.cos((l / layers) * Math.PI) ** 2;
      const candidates = TYPES.map((type) => {
        const bytes = tensorBytes(ggmlTypeByName(type)!, ne);
        return { type, bytes, error: n * depth * 2 ** (-2 * ((8 * bytes) / n)) * (kind === 'attn_v' || kind === 'ffn_down' ? 4 : 1) };
      });
      tensors.push({ name: `blk.${l}.${kind}.weight`, layer: l, kind, ne, activations: 1, candidates });
    }
  return {
    version: 1,
    model: { path: 'synthetic-126-layer', bytes: 0 },
    calibration: { source: 'synthetic (formula)', sha256: '', sequences: 0, length: 0, seed: 0, tokens: 0 },
    method: 'rtn',
    fixedBytes: 126 * 2 * embd * 4,
    tensors,
  };
}
