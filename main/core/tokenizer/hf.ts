// tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers, and the conversion of
// a byte-level BPE tokenizer.json into llama.cpp's GGUF tokenizer metadata.
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import fs from 'node:fs';
import path from 'node:path';

import type { Tokenizer } from './types.js';

export interface TokenizerJson {
  model: { type: string; vocab: Record<string, number>; merges?: Array<string | [string, string]>; ignore_merges?: boolean; byte_fallback?: boolean };
  added_tokens?: Array<{ id: number; content: string; special: boolean }>;
  pre_tokenizer?: unknown;
  [k: string]: unknown;
}

export interface TokenizerConfig {
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  add_bos_token?: boolean;
  add_eos_token?: boolean;
  [k: string]: unknown;
}

const content = (t: TokenizerConfig['bos_token']) => (t == null ? null : typeof t === 'string' ? t : t.content);

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly addBos: boolean;
  private readonly impl: HfTokenizerImpl;

  /** vocabSize/bos/eos may be given when the vocabulary holds tokens the JSON leaves out (GGUF control tokens). */
  constructor(
    readonly json: TokenizerJson,
    readonly config: TokenizerConfig,
    vocabSize?: number,
    bos?: number | null,
    eos?: number | null,
  ) {
    this.impl = new HfTokenizerImpl(json, config);
    const ids = new Map<string, number>(Object.entries(json.model.vocab));
    for (const a of json.added_tokens ?? []) ids.set(a.content, a.id);
    let maxId = -1;
    for (const id of ids.values()) maxId = Math.max(maxId, id);
    this.vocabSize = vocabSize ?? maxId + 1;
    const bosText = content(config.bos_token);
    const eosText = content(config.eos_token);
    this.bos = bos !== undefined ? bos : bosText !== null ? ids.get(bosText) ?? null : null;
    this.eos = eos !== undefined ? eos : eosText !== null ? ids.get(eosText) ?? null : null;
    this.addBos = (config.add_bos_token ?? this.bos !== null) && this.bos !== null;
  }

  static fromFile(tokenizerJson: string): HfTokenizer {
    const json = JSON.parse(fs.readFileSync(tokenizerJson, 'utf8')) as TokenizerJson;
    const cfgPath = path.join(path.dirname(tokenizerJson), 'tokenizer_config.json');
    const config = fs.existsSync(cfgPath) ? (JSON.parse(fs.readFileSync(cfgPath, 'utf8')) as TokenizerConfig) : {};
    return new HfTokenizer(json, config);
  }

  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    // special tokens are added here, not by the tokenizer's post-processor, so BOS follows addBos
    const ids = this.impl.encode(text, { add_special_tokens: false }).ids;
    return (options.addBos ?? true) && this.addBos && this.bos !== null ? [this.bos, ...ids] : [...ids];
  }

  decode(ids: readonly number[]): string {
    return this.impl.decode([...ids], { skip_special_tokens: true });
  }
}
