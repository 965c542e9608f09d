// The data that flows from sensitivity measurement to allocation to quantization: a
// SensitivityReport (one entry per quantizable tensor, one candidate per type that fits its rows)
// and a PlanFile (the type chosen for every tensor). Both are written as JSON and kept in SQLite.

/** Where a tensor sits in the model, so views and defaults can group it (MoE-ready). */
export interface TensorPlace {
  /** block index, or null for tensors outside the blocks (token_embd, output) */
  layer: number | null;
  /** attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down, token_embd, output, ffn_down_exps … */
  kind: string;
  /** expert index inside a merged expert tensor's slice, when the entry describes one expert */
  expert?: number;
}

export interface SensitivityCandidate {
  type: string;
  /** exact bytes of the tensor in this type */
  bytes: number;
  /** tr((W−Q) H (W−Q)ᵀ) / tokens: the Hessian-weighted error of quantizing to this type */
  error: number;
  /** the same error propagated to the block output, when measured */
  outputError?: number;
  /** end-to-end KL divergence to the original with only this tensor quantized (--measure-kl) */
  kl?: number;
}

export interface TensorSensitivity extends TensorPlace {
  name: string;
  ne: number[];
  /**
   * calibration tokens whose activations reached the tensor (0: never reached, statistics absent).
   * Only meaningful when calibration.tokens > 0: a measure that uses no calibration text (weight
   * round-trip error) records 0 everywhere and nothing is flagged as unreached.
   */
  activations: number;
  /** merged expert tensors (kind *_exps): calibration tokens routed to each expert; a 0 marks an expert never reached */
  expertActivations?: number[];
  candidates: SensitivityCandidate[];
  /** candidate types asked for that cannot apply to this tensor, each with the reason */
  unfit?: Array<{ type: string; reason: string }>;
}

export interface SensitivityReport {
  version: 1;
  model: { path: string; sha256?: string; bytes: number };
  calibration: { source: string; sha256: string; sequences: number; length: number; seed: number; tokens: number };
  /** method whose error was measured: rtn (with the Hessian diagonal as importance) or gptq */
  method: 'rtn' | 'gptq';
  /** the tensors that are not quantized (norms, biases …) with their bytes, counted in every plan */
  fixedBytes: number;
  /** the file's header and metadata bytes, counted in every plan */
  headerBytes?: number;
  tensors: TensorSensitivity[];
}

export interface PlanFile {
  version: 1;
  model: { path: string; sha256?: string };
  target: { kind: 'bpw' | 'bytes'; value: number };
  /** tensor name → ggml type; tensors not listed keep the default of the quantizer */
  tensors: Record<string, string>;
  /** exact bytes of the quantized tensors plus the fixed ones */
  bytes: number;
  bitsPerWeight: number;
  predictedKl: number;
  pins?: Record<string, string>;
  /** tensor name → shape (ne) the plan was made for; quantize checks the model against it */
  ne?: Record<string, number[]>;
  /** per-kind minimum types that applied (kind → type whose bits per weight is the floor) */
  minimums?: Record<string, string>;
  /** file header bytes (metadata, tensor infos, padding) included in `bytes` */
  headerBytes?: number;
  /** how the prediction was made: scale per kind (kl ≈ scale · error) or 'error' when no kl was measured */
  prediction?: { basis: 'kl-fit' | 'error'; scales: Record<string, number> };
  /** tensors whose statistics were not trusted, the type they got and why */
  flagged?: Array<{ name: string; type: string; reason: string }>;
  /** notes on choices the plan could not make as asked (a minimum no candidate meets …) */
  notes?: string[];
  /** whether the allocation was solved exactly (small instances) or by the Lagrangian greedy */
  exact?: boolean;
}
