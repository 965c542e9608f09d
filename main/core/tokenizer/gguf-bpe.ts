// llama.cpp's byte-level BPE vocabularies (tokenizer.ggml.model = "gpt2"): conversion from a
// Hugging Face tokenizer.json, and a tokenizer for such GGUF files that rebuilds the equivalent
// tokenizer.json for @huggingface/tokenizers. llama.cpp tokenizes evaluation text with
// parse_special = false: control tokens are plain text there, user-defined tokens are matched.
import type { GgufFile } from '../gguf/reader.js';
import { kvArray, kvNumber, kvString } from '../gguf/reader.js';
import type { GgufKv } from '../gguf/gguf-values.js';
import { kv } from '../gguf/writer.js';
import { HfTokenizer, TokenizerConfig, TokenizerJson } from './hf.js';
import { TOKEN_TYPE } from './spm.js';

/** llama.cpp pre-tokenizer names and the split regex each stands for. */
export const PRE_TOKENIZERS: Record<string, string> = {
  'llama-bpe': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
};

function splitPattern(json: TokenizerJson): string | null {
  const walk = (p: unknown): string | null => {
    if (!p || typeof p !== 'object') return null;
    const o = p as { type?: string; pattern?: { Regex?: string }; pretokenizers?: unknown[]; use_regex?: boolean };
    if (o.type === 'Split' && o.pattern?.Regex) return o.pattern.Regex;
    if (o.type === 'ByteLevel' && o.use_regex !== false) return PRE_TOKENIZERS.gpt2;
    for (const c of o.pretokenizers ?? []) {
      const r = walk(c);
      if (r) return r;
    }
    return null;
  };
  return walk(json.pre_tokenizer);
}

/** The llama.cpp pre-tokenizer name for a tokenizer.json, or an error naming what was found. */
export function preTokenizerName(json: TokenizerJson): string {
  const pattern = splitPattern(json);
  const name = Object.entries(PRE_TOKENIZERS).find(([, p]) => p === pattern)?.[0];
  if (!name) throw new Error(`unsupported pre-tokenizer (split pattern ${JSON.stringify(pattern)}); supported: ${Object.keys(PRE_TOKENIZERS).join(', ')}`);
  return name;
}

const content = (t: TokenizerConfig['bos_token']) => (t == null ? null : typeof t === 'string' ? t : t.content);

/** tokenizer.ggml.* metadata for a byte-level BPE tokenizer.json, as llama.cpp's converter writes it. */
export function ggufBpeMetadata(json: TokenizerJson, config: TokenizerConfig, vocabSize?: number): Map<string, GgufKv> {
  if (json.model.type !== 'BPE' || json.model.byte_fallback) throw new Error('only byte-level BPE tokenizer.json files can be converted');
  const pre = preTokenizerName(json);
  const byId = new Map<number, string>();
  for (const [t, id] of Object.entries(json.model.vocab)) byId.set(id, t);
  const added = new Map<number, { content: string; special: boolean }>();
  for (const a of json.added_tokens ?? []) {
    byId.set(a.id, a.content);
    added.set(a.id, a);
  }
  let n = vocabSize ?? 0;
  for (const id of byId.keys()) n = Math.max(n, id + 1);
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    if (t === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_TYPE.UNUSED);
    } else if (added.has(i)) {
      tokens.push(t);
      types.push(added.get(i)!.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED);
    } else {
      tokens.push(t);
      types.push(TOKEN_TYPE.NORMAL);
    }
  }
  const merges = (json.model.merges ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const m = new Map<string, GgufKv>([
    ['tokenizer.ggml.model', kv.str('gpt2')],
    ['tokenizer.ggml.pre', kv.str(pre)],
    ['tokenizer.ggml.tokens', kv.strs(tokens)],
    ['tokenizer.ggml.token_type', kv.i32s(types)],
    ['tokenizer.ggml.merges', kv.strs(merges)],
  ]);
  const bos = content(config.bos_token);
  const eos = content(config.eos_token);
  if (bos !== null && ids.has(bos)) m.set('tokenizer.ggml.bos_token_id', kv.u32(ids.get(bos)!));
  if (eos !== null && ids.has(eos)) m.set('tokenizer.ggml.eos_token_id', kv.u32(ids.get(eos)!));
  m.set('tokenizer.ggml.add_bos_token', kv.bool(config.add_bos_token ?? (bos !== null && ids.has(bos))));
  return m;
}

/** A tokenizer for a GGUF "gpt2" vocabulary, equal to llama.cpp's. */
export function ggufBpeTokenizer(f: GgufFile): HfTokenizer {
  const tokens = kvArray(f, 'tokenizer.ggml.tokens') as string[];
  const types = (kvArray(f, 'tokenizer.ggml.token_type') as number[] | undefined) ?? tokens.map(() => TOKEN_TYPE.NORMAL);
  const merges = (kvArray(f, 'tokenizer.ggml.merges') as string[] | undefined) ?? [];
  const pre = kvString(f, 'tokenizer.ggml.pre') ?? 'gpt2';
  const pattern = PRE_TOKENIZERS[pre === 'default' ? 'gpt2' : pre];
  if (!pattern) throw new Error(`${f.path}: pre-tokenizer "${pre}" is not supported (supported: ${Object.keys(PRE_TOKENIZERS).join(', ')})`);
  const vocab: Record<string, number> = {};
  const userDefined: Array<{ id: number; content: string; special: boolean }> = [];
  tokens.forEach((t, i) => {
    if (types[i] === TOKEN_TYPE.USER_DEFINED) userDefined.push({ id: i, content: t, special: false });
    else if (types[i] !== TOKEN_TYPE.CONTROL && types[i] !== TOKEN_TYPE.UNUSED) vocab[t] = i;
  });
  const json = {
    version: '1.0',
    added_tokens: userDefined.map((a) => ({ ...a, single_word: false, lstrip: false, rstrip: false, normalized: false })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: pre === 'llama-bpe', vocab, merges },
  } as unknown as TokenizerJson;
  const id = (k: string) => kvNumber(f, `tokenizer.ggml.${k}`);
  const bos = id('bos_token_id');
  const eos = id('eos_token_id');
  const addBosEntry = f.kv.get('tokenizer.ggml.add_bos_token');
  const config: TokenizerConfig = {
    bos_token: bos !== undefined ? tokens[bos] : null,
    eos_token: eos !== undefined ? tokens[eos] : null,
    add_bos_token: addBosEntry ? addBosEntry.value === true : false,
  };
  return new HfTokenizer(json, config, tokens.length, bos ?? null, eos ?? null);
}
