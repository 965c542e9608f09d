// A NaN in the weights stops an evaluation with an error naming the tensor and position.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';

describe('non-finite weights', () => {
  it('evaluation names the tensor holding a NaN', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-nan-'));
    const model = path.join(dir, 'm.gguf');
    await writeSyntheticGguf(model, SHAPES.tiny, { seed: 2 });
    const t = readGguf(model).tensors.find((x) => x.name === 'blk.1.ffn_up.weight')!;
    const fd = fs.openSync(model, 'r+');
    const nan = Buffer.alloc(4);
    nan.writeFloatLE(NaN);
    fs.writeSync(fd, nan, 0, 4, t.fileOffset + 4 * (3 * t.ne[0] + 7)); // row 3, column 7
    fs.closeSync(fd);
    const text = path.join(dir, 'text.txt');
    fs.writeFileSync(text, 'Once upon a time there was a cat. '.repeat(100));
    await assert.rejects(
      runOperation({ op: 'evaluate', model, text: { path: text }, nCtx: 64 }, { threads: 1 }),
      /non-finite logits: tensor blk\.1\.ffn_up\.weight has a non-finite weight at row 3, column 7/,
    );
  });
});
