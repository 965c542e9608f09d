// What the engine needs of a model: hyper-parameters and, for every tensor, where its bytes lie
// on disk. The importers in main/core/model build a ModelDescription, which is one of these.

export type RopeType = 'normal' | 'neox';

export interface RopeScaling {
  type: 'none' | 'linear' | 'yarn' | 'llama3';
  factor: number;
  originalContext?: number;
  /** llama3 scaling */
  lowFreqFactor?: number;
  highFreqFactor?: number;
}

export interface ModelHparams {
  /** llama.cpp architecture name: llama, mistral (stored as llama in GGUF), qwen2, qwen3 */
  architecture: string;
  nVocab: number;
  nEmbd: number;
  nFf: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nCtxTrain: number;
  rmsEps: number;
  ropeBase: number;
  ropeDim: number;
  /** normal: adjacent pairs (llama.cpp LLAMA_ROPE_TYPE_NORM); neox: halves (Qwen, unpermuted HF llama) */
  ropeType: RopeType;
  ropeScaling: RopeScaling;
}

export interface TensorRef {
  /** llama.cpp name, e.g. blk.0.attn_q.weight */
  name: string;
  /** ggml type name: F32, F16, BF16, Q4_0 … */
  type: string;
  /** ggml order: ne[0] is the row width */
  ne: number[];
  /** file holding the bytes, its absolute offset and length */
  file: string;
  offset: number;
  nbytes: number;
}

export interface EngineModel {
  hparams: ModelHparams;
  tensors: TensorRef[];
}
