// The block-by-block GPTQ pipeline through `quantizeWithPreset`: k-quant types on synth256 beat
// round-to-nearest with the same calibration's importance on the Hessian-weighted error, per-tensor
// errors land in SQLite, a cancel leaves no file, and Hugging Face q/k rows are permuted after
// quantization exactly as the plain export permutes them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';
import { CancelledError } from '../../main/engine/cancelled.js';
import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { TOKENIZERS, writeSyntheticHf } from '../fixtures/synthetic-hf.js';
import { compareLogits } from '../helpers/compare-logits.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

const calibration = (sequences: number, length: number) => ({ text: { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 }, sequences, length, seed: 0 });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-pipeline-'));

describe('GPTQ pipeline', { skip: skipNoShared }, () => {
  for (const preset of ['Q2_K', 'Q4_K_S'])
    it(`synth256 ${preset}: every tensor's Hessian-weighted error is below RTN + imatrix's, and SQLite has them`, async () => {
      const dir = tmp();
      const store = new Store(path.join(dir, 'studio.db'));
      const r = await runOperation(
        { op: 'quantize', model: sharedPath('golden', 'synth256-f32.gguf'), target: { preset, pure: true }, out: path.join(dir, 'q.gguf'), method: 'gptq', calibration: calibration(32, 256) },
        { threads: 2, store },
      );
      const measured = r.tensors.filter((t) => t.error !== undefined);
      assert.equal(measured.length, 2 * 7 + 1, 'the 14 block tensors and output.weight');
      for (const t of measured) assert.ok(t.error! < t.rtnError!, `${t.name} ${t.type}: GPTQ ${t.error} vs RTN + imatrix ${t.rtnError}`);
      const stats = store.tensorStats(r.runId!);
      const down = stats.find((s) => s.tensor === 'blk.1.ffn_down.weight')!;
      assert.equal(down.layer, 1);
      assert.equal(down.activations, 32 * 256);
      assert.equal(down.error, measured.find((t) => t.name === down.tensor)!.error);
      assert.equal((down.metrics as { gptq: boolean }).gptq, true);
      assert.deepEqual((store.run(r.runId!)!.params as { actOrder: boolean; damp: number }).damp, 0.01);
      store.close();
    });

  it('cancelling leaves no file and records the run as cancelled', async () => {
    const dir = tmp();
    const store = new Store(path.join(dir, 'studio.db'));
    const out = path.join(dir, 'q.gguf');
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      runOperation(
        { op: 'quantize', model: sharedPath('models', 'stories260K.gguf'), target: { preset: 'Q4_0' }, out, method: 'gptq', calibration: calibration(16, 128) },
        {
          threads: 2, store, signal: controller.signal,
          onProgress: ({ done, total, unit }) => {
            assert.equal(unit, '%');
            assert.ok(done <= total);
            seen.push(done);
            if (done >= 1) controller.abort();
          },
        },
      ),
      CancelledError,
    );
    assert.ok(seen.length > 0, 'progress was reported');
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.gguf') || f.includes('.tmp')), []);
    assert.equal(store.runs()[0].status, 'cancelled');
    store.close();
  });

  it('Hugging Face llama: the GPTQ Q8_0 file computes what the source does (q/k rows permuted after quantization)', async () => {
    const dir = tmp();
    const hf = path.join(dir, 'hf');
    const nVocab = 128256;
    writeSyntheticHf(hf, { nVocab, nEmbd: 64, nFf: 128, nLayer: 2, nHead: 4, nHeadKv: 2, nCtx: 512 }, { arch: 'llama', dtype: 'F32', seed: 3, tokenizerDir: TOKENIZERS.llama3 });
    const out = path.join(dir, 'q8.gguf');
    await runOperation({ op: 'quantize', model: hf, target: { preset: 'Q8_0' }, out, method: 'gptq', calibration: calibration(8, 64) }, { threads: 2 });
    const desc = importModel(hf);
    const tokens = Int32Array.from(tokenizerForModel(desc).encode('Once upon a time, the quick brown fox jumped over the lazy dog.'));
    const source = native().logits(openModel(desc), tokens, 2);
    const quantized = native().logits(openModel(importModel(out)), tokens, 2);
    const cmp = compareLogits(source, quantized, nVocab);
    assert.ok(cmp.meanKl < 1e-3 && cmp.top1 === 1, `KL ${cmp.meanKl}, top-1 ${cmp.top1}`);
  });
});
