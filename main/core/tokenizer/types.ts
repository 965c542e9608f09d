// One interface for every tokenizer the studio reads.
export interface Tokenizer {
  readonly kind: 'spm' | 'bpe' | 'llama2c' | 'sentencepiece' | 'hf';
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  /** whether llama.cpp prepends BOS for this model (tokenizer.ggml.add_bos_token, default by kind) */
  readonly addBos: boolean;
  /** Token ids of text, with BOS first when addBos is set and options.addBos is not false. */
  encode(text: string, options?: { addBos?: boolean }): number[];
  decode(ids: readonly number[]): string;
}
