// llama2.c checkpoints import to exactly the weights llama.cpp's converter put in the GGUF, and
// their tokenizers (.bin and SentencePiece .model) give the GGUF tokenizer's ids.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { runOperation } from '../../main/core/operations/runner.js';
import { importModel } from '../../main/core/model/import.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';

const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('llama2.c import', { skip: skipNoShared }, () => {
  it('stories260K.bin holds the same bytes as stories260K.gguf for every tensor', () => {
    const bin = importModel(sharedPath('models', 'stories260K.bin'));
    const gguf = importModel(sharedPath('models', 'stories260K.gguf'));
    assert.equal(bin.format, 'llama2c');
    assert.deepEqual({ ...bin.hparams, nCtxTrain: 0 }, { ...gguf.hparams, nCtxTrain: 0 });
    for (const t of bin.tensors) {
      const g = gguf.tensors.find((x) => x.name === t.name)!;
      assert.deepEqual(t.ne, g.ne, t.name);
      assert.equal(sha(readTensorBytes(t.file, t.offset, t.nbytes)), sha(readTensorBytes(g.file, g.offset, g.nbytes)), t.name);
    }
    // the GGUF carries a separate copy of the shared classifier; the checkpoint ties it
    assert.ok(!bin.tensors.some((t) => t.name === 'output.weight'));
  });

  it('tok512.bin tokenizes like the GGUF vocabulary', () => {
    const text = fs.readFileSync(sharedPath('data', 'tinystories_val_200k.txt'), 'utf8').slice(0, 50_000) + ' 東京 🦙';
    const a = tokenizerForModel(importModel(sharedPath('models', 'stories260K.bin'))).encode(text);
    const b = tokenizerForModel(importModel(sharedPath('models', 'stories260K.gguf'))).encode(text);
    assert.deepEqual(a, b);
  });

  it('evaluates to llama.cpp\'s perplexity straight from the checkpoint', async () => {
    const r = await runOperation({ op: 'evaluate', model: sharedPath('models', 'stories260K.bin'), text: { path: sharedPath('data', 'tinystories_val_200k.txt') }, nCtx: 256 });
    assert.ok(Math.abs(r.ppl - 4.1576) / 4.1576 < 0.001, `ppl ${r.ppl}`);
  });

  it('babyllama with its SentencePiece .model: sane shapes, round-trip tokenization, finite perplexity', async () => {
    const d = importModel(sharedPath('models', 'babyllama-tok105', 'model5000.bin'));
    assert.deepEqual([d.hparams.nEmbd, d.hparams.nFf, d.hparams.nLayer, d.hparams.nHead, d.hparams.nHeadKv, d.hparams.nVocab], [128, 352, 5, 8, 4, 105]);
    const tok = tokenizerForModel(d);
    const text = 'Once upon a time, there was a little bird.';
    assert.equal(tok.decode(tok.encode(text)), text);
    const r = await runOperation({ op: 'evaluate', model: d.path, text: { path: sharedPath('data', 'tinystories_val_200k.txt'), end: 60_000 }, nCtx: 256 });
    assert.ok(r.ppl > 1 && r.ppl < 20, `babyllama perplexity ${r.ppl}`);
  });

  it('rejects a truncated checkpoint and a missing tokenizer clearly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-l2c-'));
    const cut = path.join(dir, 'cut.bin');
    fs.writeFileSync(cut, fs.readFileSync(sharedPath('models', 'stories260K.bin')).subarray(0, 100_000));
    assert.throws(() => importModel(cut), /truncated/);
    const lonely = path.join(dir, 'model.bin');
    fs.copyFileSync(sharedPath('models', 'stories260K.bin'), lonely);
    assert.throws(() => tokenizerForModel(importModel(lonely)), /no tokenizer found beside the checkpoint/);
  });
});
