// `lowbit quantize` reproduces llama-quantize: every tensor of llama.cpp's own preset files, with
// and without an importance matrix, is byte-identical to ours.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';
import { kvString, readGguf } from '../../main/core/gguf/reader.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { golden, readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';

const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-q-'));

function assertSameTensors(ours: string, theirs: string) {
  const a = readGguf(ours);
  const b = readGguf(theirs);
  assert.equal(a.tensors.length, b.tensors.length);
  for (const t of b.tensors) {
    const o = a.tensors.find((x) => x.name === t.name)!;
    assert.equal(o.type.name, t.type.name, `${t.name} type`);
    assert.equal(sha(readTensorBytes(ours, o.fileOffset, o.nbytes)), sha(readTensorBytes(theirs, t.fileOffset, t.nbytes)), `${t.name} bytes`);
  }
}

describe('lowbit quantize equals llama-quantize', { skip: skipNoShared }, () => {
  for (const preset of ['Q4_0', 'Q4_1', 'IQ4_NL', 'Q5_0']) {
    it(`stories260K ${preset} with llama.cpp's imatrix equals anchors/stories260K-imatrix-${preset}.gguf`, async () => {
      const out = path.join(tmp(), 'q.gguf');
      await runOperation({ op: 'quantize', model: sharedPath('models', 'stories260K.gguf'), target: { preset }, out, method: 'rtn', imatrix: sharedPath('anchors', 'stories260K.imatrix.gguf') });
      assertSameTensors(out, sharedPath('anchors', `stories260K-imatrix-${preset}.gguf`));
    });
    it(`stories260K ${preset} without imatrix equals anchors/stories260K-rtn-${preset}.gguf`, async () => {
      const out = path.join(tmp(), 'q.gguf');
      await runOperation({ op: 'quantize', model: sharedPath('models', 'stories260K.gguf'), target: { preset }, out, method: 'rtn' });
      assertSameTensors(out, sharedPath('anchors', `stories260K-rtn-${preset}.gguf`));
    });
  }

  for (const preset of ['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q5_K_M'])
    it(`synth256 ${preset} equals golden/synth256-recipe-${preset}.gguf tensor by tensor`, async () => {
      const out = path.join(tmp(), 'q.gguf');
      await runOperation({ op: 'quantize', model: sharedPath('golden', 'synth256-f32.gguf'), target: { preset }, out, method: 'rtn' });
      const want = golden()[`synth256-recipe-${preset}.gguf`];
      const f = readGguf(out);
      for (const t of want.tensors) {
        const o = f.tensors.find((x) => x.name === t.name)!;
        assert.equal(o.type.name, t.type, t.name);
        assert.equal(sha(readTensorBytes(out, o.fileOffset, o.nbytes)), t.sha256, t.name);
      }
      assert.equal(f.kv.get('general.file_type')!.value, want.file_type);
    });

  it('records provenance in the file and the run with per-tensor types in SQLite', async () => {
    const dir = tmp();
    const store = new Store(path.join(dir, 'studio.db'));
    const out = path.join(dir, 'q.gguf');
    const r = await runOperation({ op: 'quantize', model: sharedPath('models', 'stories260K.gguf'), target: { preset: 'Q8_0' }, out, method: 'rtn' }, { store });
    const f = readGguf(out);
    assert.equal(kvString(f, 'lowbit.method'), 'rtn');
    assert.equal(kvString(f, 'lowbit.preset'), 'Q8_0');
    const plan = JSON.parse(kvString(f, 'lowbit.plan')!);
    assert.equal(plan['blk.0.attn_q.weight'], 'Q8_0');
    assert.equal(plan['blk.0.attn_norm.weight'], 'F32');
    assert.equal(store.run(r.runId!)!.status, 'done');
    const stats = store.tensorStats(r.runId!);
    assert.equal(stats.find((s) => s.tensor === 'blk.0.attn_q.weight')!.type, 'Q8_0');
    assert.equal(stats.find((s) => s.tensor === 'blk.0.attn_q.weight')!.layer, 0);
    store.close();
  });

  it('refuses to requantize quantized tensors unless asked', async () => {
    await assert.rejects(
      runOperation({ op: 'quantize', model: sharedPath('golden', 'stories260K-pure-Q8_0.gguf'), target: { preset: 'Q4_0' }, out: path.join(tmp(), 'x.gguf'), method: 'rtn' }),
      /already Q8_0: requantizing loses quality/,
    );
  });
});
