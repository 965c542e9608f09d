// GPTQ files beat llama.cpp's importance-matrix files of the same types on stories260K: calibrated
// on the text llama.cpp's imatrix used (tail of tinystories_val.txt), evaluated on disjoint text
// (the first 200 KB) with our evaluator, which reproduces llama-perplexity.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { Store } from '../../main/core/db/store.js';
import { kvString, readGguf } from '../../main/core/gguf/reader.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';

describe('GPTQ against llama.cpp with an imatrix', { skip: skipNoShared }, () => {
  for (const preset of ['Q4_0', 'IQ4_NL'])
    it(`${preset}: lower perplexity and KL than anchors/stories260K-imatrix-${preset}.gguf, same tensor types and sizes`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-gptq-'));
      const store = new Store(path.join(dir, 'studio.db'));
      const out = path.join(dir, `${preset}.gguf`);
      const r = await runOperation(
        {
          op: 'quantize', model: sharedPath('models', 'stories260K.gguf'), target: { preset }, out, method: 'gptq',
          calibration: { text: { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 }, sequences: 128, length: 256, seed: 0 },
        },
        { threads: 2, store },
      );
      const anchor = sharedPath('anchors', `stories260K-imatrix-${preset}.gguf`);
      const ours = readGguf(out);
      const theirs = readGguf(anchor);
      for (const t of theirs.tensors) {
        const o = ours.tensors.find((x) => x.name === t.name)!;
        assert.equal(o.type.name, t.type.name, t.name);
        assert.equal(o.nbytes, t.nbytes, t.name);
      }
      assert.equal(kvString(ours, 'lowbit.method'), 'gptq');
      const run = store.run(r.runId!)!;
      assert.equal(run.status, 'done');
      assert.ok(run.text_set_id !== null, 'the calibration text set is recorded');
      store.close();
      const evaluate = (m: string) =>
        runOperation({ op: 'evaluate', model: m, reference: sharedPath('models', 'stories260K.gguf'), text: { path: sharedPath('data', 'tinystories_val_200k.txt'), end: 100_000 }, nCtx: 256 });
      const g = await evaluate(out);
      const a = await evaluate(anchor);
      assert.ok(g.ppl < a.ppl, `${preset}: GPTQ perplexity ${g.ppl} vs llama.cpp imatrix ${a.ppl}`);
      assert.ok(g.meanKl! < a.meanKl!, `${preset}: GPTQ KL ${g.meanKl} vs llama.cpp imatrix ${a.meanKl}`);
    });
});
