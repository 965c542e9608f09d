// The tokenizer that belongs to a model description.
import type { ModelDescription } from '../model/types.js';
import { tokenizerFromGguf } from './index.js';
import { HfTokenizer } from './hf.js';
import { llama2cTokenizer } from './llama2c.js';
import { sentencePieceTokenizer } from './sentencepiece.js';
import type { Tokenizer } from './types.js';

export function tokenizerForModel(d: ModelDescription): Tokenizer {
  if (d.gguf) return tokenizerFromGguf(d.gguf);
  if (d.format === 'llama2c') {
    if (!d.tokenizerPath) throw new Error(`${d.path}: no tokenizer found beside the checkpoint (tok${d.hparams.nVocab}.bin, tokenizer.bin or a .model); pass one explicitly`);
    const t = d.tokenizerPath.endsWith('.model') ? sentencePieceTokenizer(d.tokenizerPath) : llama2cTokenizer(d.tokenizerPath, d.hparams.nVocab);
    if (t.vocabSize !== d.hparams.nVocab) throw new Error(`${d.tokenizerPath} has ${t.vocabSize} tokens, the model ${d.hparams.nVocab}`);
    return t;
  }
  if (d.format === 'hf') {
    if (!d.tokenizerPath) throw new Error(`${d.path}: the folder has no tokenizer.json`);
    return HfTokenizer.fromFile(d.tokenizerPath);
  }
  throw new Error(`${d.path}: no tokenizer is available for ${d.format} models`);
}
