// The engine-neutral description of a loaded model: hyper-parameters plus, for every tensor,
// where its bytes lie on disk. Importers (GGUF, llama2.c, Hugging Face) produce it; the native
// engine memory-maps the files it names. Tensor names and layouts follow llama.cpp's GGUF
// conventions (blk.N.attn_q.weight …; ne[0] is the row width, i.e. the input dimension).
import type { EngineModel } from '../../engine/model-types.js';
import type { GgufFile } from '../gguf/reader.js';

export type { ModelHparams, RopeScaling, RopeType, TensorRef } from '../../engine/model-types.js';

export type SourceFormat = 'gguf' | 'llama2c' | 'hf';

export interface ModelDescription extends EngineModel {
  format: SourceFormat;
  /** the file or folder the user opened */
  path: string;
  name: string;
  /** the GGUF header when the source is GGUF (metadata to copy on export) */
  gguf?: GgufFile;
  /** tokenizer file for sources that keep it apart (llama2.c .bin / .model, tokenizer.json) */
  tokenizerPath?: string;
}
