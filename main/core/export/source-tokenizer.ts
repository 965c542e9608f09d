// tokenizer.ggml.* metadata for sources that keep their tokenizer outside GGUF.
import fs from 'node:fs';
import path from 'node:path';

import type { GgufKv } from '../gguf/gguf-values.js';
import { kv } from '../gguf/writer.js';
import type { ModelDescription } from '../model/types.js';
import { tokenizerForModel } from '../tokenizer/for-model.js';
import { ggufBpeMetadata } from '../tokenizer/gguf-bpe.js';
import { hasByteFallback, singleCharacterPieces, SpmTokenizer } from '../tokenizer/spm.js';

export function tokenizerMetadata(desc: ModelDescription): Map<string, GgufKv> {
  if (desc.format === 'hf') {
    if (!desc.tokenizerPath) throw new Error(`${desc.path}: no tokenizer.json to export`);
    const json = JSON.parse(fs.readFileSync(desc.tokenizerPath, 'utf8'));
    const cfgPath = path.join(path.dirname(desc.tokenizerPath), 'tokenizer_config.json');
    const config = fs.existsSync(cfgPath) ? JSON.parse(fs.readFileSync(cfgPath, 'utf8')) : {};
    return ggufBpeMetadata(json, config, desc.hparams.nVocab);
  }
  const tok = tokenizerForModel(desc);
  if (!(tok instanceof SpmTokenizer)) throw new Error(`${desc.path}: cannot export its tokenizer`);
  const v = tok.vocab;
  // llama.cpp's SPM tokenizer ("llama") falls back to byte tokens for characters outside the
  // vocabulary and aborts when there are none (it tokenizes "\n" as soon as a model is loaded). A
  // SentencePiece vocabulary without them maps such characters to <unk>, which is what llama.cpp's
  // unigram tokenizer ("t5") does; on pieces of one character both segment alike.
  const byteFallback = hasByteFallback(v);
  if (!byteFallback && !singleCharacterPieces(v))
    throw new Error(`${desc.tokenizerPath ?? desc.path}: this vocabulary has no byte tokens (llama.cpp's SentencePiece tokenizer needs them) and multi-character pieces (so llama.cpp's unigram tokenizer would segment text differently); the model cannot be exported to GGUF`);
  const m = new Map<string, GgufKv>([
    ['tokenizer.ggml.model', kv.str(byteFallback ? 'llama' : 't5')],
    ['tokenizer.ggml.tokens', kv.strs(v.tokens)],
    ['tokenizer.ggml.scores', kv.f32s(v.scores)],
    ['tokenizer.ggml.token_type', kv.i32s(v.types)],
    ['tokenizer.ggml.add_bos_token', kv.bool(v.addBos)],
    ['tokenizer.ggml.add_space_prefix', kv.bool(v.addSpacePrefix)],
  ]);
  if (v.bos !== null) m.set('tokenizer.ggml.bos_token_id', kv.u32(v.bos));
  if (v.eos !== null) m.set('tokenizer.ggml.eos_token_id', kv.u32(v.eos));
  if (v.unk !== null) m.set('tokenizer.ggml.unknown_token_id', kv.u32(v.unk));
  return m;
}
