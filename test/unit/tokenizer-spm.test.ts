// Our SentencePiece-style tokenizer gives llama.cpp's token ids (node-llama-cpp on the same GGUF).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { LlamaModel } from 'node-llama-cpp';

import type { GgufKv } from '../../main/core/gguf/gguf-values.js';
import { type GgufFile, readGguf } from '../../main/core/gguf/reader.js';
import { kv } from '../../main/core/gguf/writer.js';
import { tokenizerFromGguf } from '../../main/core/tokenizer/index.js';
import type { Tokenizer } from '../../main/core/tokenizer/types.js';
import { llamaCpp } from '../helpers/llama.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

describe('SPM tokenizer equals llama.cpp', { skip: skipNoShared }, () => {
  let model: LlamaModel;
  let ours: Tokenizer;
  before(async () => {
    const file = sharedPath('models', 'stories260K.gguf');
    ours = tokenizerFromGguf(readGguf(file));
    model = await (await llamaCpp()).loadModel({ modelPath: file });
  });
  after(async () => model?.dispose());

  const same = (text: string) => {
    const theirs = [...model.tokenize(text)];
    const mine = ours.encode(text, { addBos: false });
    assert.deepEqual(mine, theirs, `differs for ${JSON.stringify(text.slice(0, 60))}`);
  };

  it('on the TinyStories evaluation text', () => same(fs.readFileSync(sharedPath('data', 'tinystories_val_200k.txt'), 'utf8')));
  it('on 300 KB of WikiText-2 (digits, punctuation, unicode)', () =>
    same(fs.readFileSync(sharedPath('data', 'wikitext2_test.txt'), 'utf8').slice(0, 300_000)));
  it('on tricky strings', () => {
    for (const s of ['', ' ', '  leading', 'trailing  ', 'a  b   c', '\n\nnew\nlines\n', 'Ünïcödé ß 東京', 'emoji 🦙🚀 end', '<s> </s> <0x41>', '\t tab'])
      same(s);
  });
  it('adds BOS first and decodes back to the text', () => {
    const ids = ours.encode('Once upon a time');
    assert.equal(ids[0], ours.bos);
    assert.equal(ours.decode(ids), 'Once upon a time');
  });
});

describe('unigram ("t5") vocabularies', () => {
  const gguf = (tokens: string[]) =>
    ({
      path: 'mem.gguf',
      kv: new Map<string, GgufKv>([
        ['tokenizer.ggml.model', kv.str('t5')],
        ['tokenizer.ggml.tokens', kv.strs(tokens)],
        ['tokenizer.ggml.token_type', kv.i32s(tokens.map((_, i) => (i < 3 ? 3 : 1)))],
      ]),
    }) as unknown as GgufFile;

  it('of single characters read as the SentencePiece-style vocabulary, unknown characters as <unk>', () => {
    const t = tokenizerFromGguf(gguf(['<unk>', '<s>', '</s>', '▁', 'a', 'b']));
    assert.deepEqual(t.encode('ab ba\nx', { addBos: false }), [3, 4, 5, 3, 5, 4, 0, 0]);
  });

  it('with multi-character pieces are refused (unigram would segment them differently)', () => {
    assert.throws(() => tokenizerFromGguf(gguf(['<unk>', '<s>', '</s>', '▁', 'a', 'b', 'ab'])), /every piece is one character/);
  });
});
