// Our importance matrix, computed on the same text with llama-imatrix's protocol, matches
// llama.cpp's own (anchors/stories260K.imatrix.gguf), and quantizing with it gives nearly the
// same file as quantizing with llama.cpp's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { computeImatrix } from '../../main/core/calibration/imatrix-run.js';
import { readGguf } from '../../main/core/gguf/reader.js';
import { readTensorF32 } from '../../main/core/gguf/tensor-data.js';
import { readImatrix } from '../../main/core/imatrix/read.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

describe('lowbit imatrix', { skip: skipNoShared }, () => {
  it("reproduces llama-imatrix's sums on the same text (tail of tinystories_val.txt, -c 256)", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-im-')), 'ours.imatrix.gguf');
    const r = await computeImatrix({ model: sharedPath('models', 'stories260K.gguf'), text: { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 }, nCtx: 256, threads: 2, out });
    const theirs = readGguf(sharedPath('anchors', 'stories260K.imatrix.gguf'));
    const ours = readGguf(out);
    assert.equal(r.tokens, readTensorF32(theirs, theirs.tensors.find((t) => t.name === 'blk.0.attn_q.weight.counts')!)[0]);
    assert.equal(ours.tensors.length, theirs.tensors.length);
    let worst = 0;
    for (const t of theirs.tensors.filter((x) => x.name.endsWith('.in_sum2'))) {
      const a = readTensorF32(theirs, t);
      const b = readTensorF32(ours, ours.tensors.find((x) => x.name === t.name)!);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-6, Math.abs(a[i])));
    }
    // llama.cpp sums in float and keeps its KV cache in F16; we sum in double with an F32 cache
    assert.ok(worst < 0.01, `largest relative difference ${worst}`);
    assert.equal(readImatrix(out).entries.size, 35);
  });
});
