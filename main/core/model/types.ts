// The engine-neutral description of a loaded model: hyper-parameters plus, for every tensor,
// where its bytes lie on disk. Importers (GGUF, llama2.c, Hugging Face) produce it; the native
// engine memory-maps the files it names. Tensor names and layouts follow llama.cpp's GGUF
// conventions (blk.N.attn_q.weight …; ne[0] is the row width, i.e. the input dimension).
import type { GgufFile } from '../gguf/reader.js';

export type SourceFormat = 'gguf' | 'llama2c' | 'hf';

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

export interface ModelDescription {
  format: SourceFormat;
  /** the file or folder the user opened */
  path: string;
  name: string;
  hparams: ModelHparams;
  tensors: TensorRef[];
  /** the GGUF header when the source is GGUF (metadata to copy on export) */
  gguf?: GgufFile;
  /** tokenizer file for sources that keep it apart (llama2.c .bin / .model, tokenizer.json) */
  tokenizerPath?: string;
}
