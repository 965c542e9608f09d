// Picks the tokenizer a model needs.
import { GgufFile, kvArray, kvNumber, kvString } from '../gguf/reader.js';
import { ggufBpeTokenizer } from './gguf-bpe.js';
import { singleCharacterPieces, SpmTokenizer } from './spm.js';
import type { Tokenizer } from './types.js';

function kvBool(f: GgufFile, key: string): boolean | undefined {
  const e = f.kv.get(key);
  return e && typeof e.value === 'boolean' ? e.value : undefined;
}

export function tokenizerFromGguf(f: GgufFile): Tokenizer {
  const model = kvString(f, 'tokenizer.ggml.model');
  if (!model) throw new Error(`${f.path}: the file has no tokenizer (tokenizer.ggml.model is missing)`);
  const tokens = kvArray(f, 'tokenizer.ggml.tokens') as string[] | undefined;
  if (!tokens?.length) throw new Error(`${f.path}: tokenizer.ggml.tokens is missing or empty`);
  const id = (key: string) => {
    const v = kvNumber(f, `tokenizer.ggml.${key}`);
    return v === undefined || v < 0 || v >= tokens.length ? null : v;
  };
  const types = (kvArray(f, 'tokenizer.ggml.token_type') as number[] | undefined) ?? tokens.map(() => 1);
  // a unigram ("t5") vocabulary of single characters segments text as the SentencePiece-style one
  // does (we write those for SentencePiece vocabularies without byte tokens; see export/source-tokenizer.ts)
  if (model === 't5' && !singleCharacterPieces({ tokens, types }))
    throw new Error(`${f.path}: unigram ("t5") vocabularies are supported only when every piece is one character`);
  if (model === 'llama' || model === 't5') {
    return new SpmTokenizer({
      tokens,
      scores: (kvArray(f, 'tokenizer.ggml.scores') as number[] | undefined) ?? tokens.map(() => 0),
      types,
      bos: id('bos_token_id') ?? 1,
      eos: id('eos_token_id') ?? 2,
      unk: id('unknown_token_id') ?? 0,
      addBos: kvBool(f, 'tokenizer.ggml.add_bos_token') ?? true,
      addEos: kvBool(f, 'tokenizer.ggml.add_eos_token') ?? false,
      addSpacePrefix: kvBool(f, 'tokenizer.ggml.add_space_prefix') ?? true,
    });
  }
  if (model === 'gpt2') return ggufBpeTokenizer(f);
  throw new Error(`${f.path}: tokenizer "${model}" is not supported (supported: llama (SentencePiece-style), gpt2 (byte-level BPE), t5 of single characters)`);
}
