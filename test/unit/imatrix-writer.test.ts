// Our imatrix files have llama.cpp's layout: rewriting llama-imatrix's own file from its parsed
// values gives the same bytes.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { ImatrixEntry, writeImatrix } from '../../main/core/imatrix/write.js';
import { readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';

describe('imatrix writer', { skip: skipNoShared }, () => {
  it('reproduces llama-imatrix output byte for byte', async () => {
    const src = readGguf(sharedPath('anchors', 'stories260K.imatrix.gguf'));
    const f32 = (name: string) => {
      const t = src.tensors.find((x) => x.name === name)!;
      const b = readTensorBytes(src.path, t.fileOffset, t.nbytes);
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const entries = new Map<string, ImatrixEntry>();
    for (const t of src.tensors.filter((x) => x.name.endsWith('.in_sum2'))) {
      const name = t.name.slice(0, -'.in_sum2'.length);
      entries.set(name, { sums: f32(t.name), counts: [...f32(`${name}.counts`)] });
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-im-')), 'im.gguf');
    await writeImatrix(out, entries, {
      datasets: src.kv.get('imatrix.datasets')!.value as string[],
      chunkCount: src.kv.get('imatrix.chunk_count')!.value as number,
      chunkSize: src.kv.get('imatrix.chunk_size')!.value as number,
    });
    const hash = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    assert.equal(hash(out), hash(src.path));
  });
});
