// The tokenizer that belongs to a model description.
import type { ModelDescription } from '../model/types.js';
import { tokenizerFromGguf } from './index.js';
import type { Tokenizer } from './types.js';

export function tokenizerForModel(d: ModelDescription): Tokenizer {
  if (d.gguf) return tokenizerFromGguf(d.gguf);
  throw new Error(`${d.path}: no tokenizer is available for ${d.format} models yet`);
}
