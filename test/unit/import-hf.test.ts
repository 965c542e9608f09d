// Hugging Face folders import with llama.cpp's names, shapes and byte ranges; bad folders fail
// with clear errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { importModel } from '../../main/core/model/import.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { HfArch, writeSyntheticHf } from '../fixtures/synthetic-hf.js';
import { readTensorBytes } from '../helpers/shared.js';

const shape = { nVocab: 300, nEmbd: 64, nFf: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nCtx: 256 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-hf-'));

describe('Hugging Face import', () => {
  const cases: Array<[HfArch, 'F32' | 'F16' | 'BF16', number, boolean]> = [
    ['llama', 'F16', 1, false],
    ['mistral', 'BF16', 3, false],
    ['qwen2', 'F32', 2, true],
    ['qwen3', 'BF16', 1, false],
  ];
  for (const [arch, dtype, shards, tied] of cases)
    it(`${arch} ${dtype}${shards > 1 ? `, ${shards} shards` : ''}${tied ? ', tied embeddings' : ''}`, () => {
      const dir = tmp();
      writeSyntheticHf(dir, shape, { arch, dtype, shards, tied, seed: 5 });
      const d = importModel(dir);
      assert.equal(d.format, 'hf');
      assert.equal(d.hparams.architecture, arch);
      assert.equal(d.hparams.ropeType, 'neox');
      const q = d.tensors.find((t) => t.name === 'blk.1.attn_q.weight')!;
      assert.deepEqual(q.ne, [64, shape.nHead * d.hparams.headDim]);
      assert.equal(q.type, dtype);
      assert.equal(q.nbytes, q.ne[0] * q.ne[1] * (dtype === 'F32' ? 4 : 2));
      assert.equal(readTensorBytes(q.file, q.offset, q.nbytes).length, q.nbytes);
      assert.equal(d.tensors.some((t) => t.name === 'output.weight'), !tied);
      assert.equal(d.tensors.some((t) => t.name === 'blk.0.attn_q.bias'), arch === 'qwen2');
      assert.equal(d.tensors.some((t) => t.name === 'blk.0.attn_k_norm.weight'), arch === 'qwen3');
      const logits = native().logits(openModel(d), Int32Array.from([1, 2, 3, 4]), 1);
      assert.ok(logits.every(Number.isFinite));
    });

  it('rejects unknown architectures, dtypes, missing shards and truncated files clearly', () => {
    const dir = tmp();
    writeSyntheticHf(dir, shape, { arch: 'llama', shards: 2 });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, architectures: ['GPTNeoXForCausalLM'] }));
    assert.throws(() => importModel(dir), /architecture GPTNeoXForCausalLM is not supported/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    const shard = path.join(dir, 'model-00002-of-00002.safetensors');
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, bytes.subarray(0, bytes.length - 100));
    assert.throws(() => importModel(dir), /lies outside the file .*truncated/);
    fs.writeFileSync(shard, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), bytes.subarray(8)]));
    assert.throws(() => importModel(dir), /header length \d+ runs past the end of the file/);
    fs.rmSync(shard);
    assert.throws(() => importModel(dir), /shard model-00002-of-00002\.safetensors listed in the index is missing/);

    const d2 = tmp();
    writeSyntheticHf(d2, shape, { arch: 'llama' });
    const st = path.join(d2, 'model.safetensors');
    const b = fs.readFileSync(st);
    const len = Number(b.readBigUInt64LE(0));
    const header = b.subarray(8, 8 + len).toString().replace('"dtype":"F32"', '"dtype":"I8" ');
    fs.writeFileSync(st, Buffer.concat([b.subarray(0, 8), Buffer.from(header), b.subarray(8 + len)]));
    assert.throws(() => importModel(d2), /has dtype I8; supported: F32, F16, BF16|do not match shape/);
  });
});
