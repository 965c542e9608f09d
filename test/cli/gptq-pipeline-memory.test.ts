// The GPTQ pipeline holds the calibration activations and one block, never the whole model. Two
// synthetic models (random weights) with the same block shape are quantized in child processes
// where the kernel measures the native pipeline's peak resident memory growth (VmHWM): one of 2
// blocks gives the budget (one block plus the activations); one of 96 blocks, at least 4× larger
// than that budget, must stay within it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { ModelShape, writeSyntheticGguf } from '../fixtures/synthetic-model.js';

const block = { nVocab: 512, nEmbd: 128, nFf: 352, nHead: 4, nHeadKv: 4, nCtx: 256 };
const sequences = 16;
const length = 64;
const MiB = 1 << 20;

function peakGrowth(dir: string, nLayer: number, text: string): Promise<{ growth: number; modelBytes: number }> {
  return (async () => {
    const shape: ModelShape = { ...block, nLayer };
    const model = path.join(dir, `synthetic-${nLayer}.gguf`);
    await writeSyntheticGguf(model, shape, { type: 'F32' });
    const out = path.join(dir, `q4_0-${nLayer}.gguf`);
    const child = path.resolve('test/helpers/pipeline-memory-child.ts');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', child, model, text, out, String(sequences), String(length)], { encoding: 'utf8' });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { baseline: number; peak: number; tokens: number; bytes: number };
    assert.equal(r.tokens, sequences * length);
    assert.equal(fs.statSync(out).size, r.bytes);
    const modelBytes = fs.statSync(model).size;
    fs.rmSync(model);
    fs.rmSync(out);
    return { growth: r.peak - r.baseline, modelBytes };
  })();
}

describe('GPTQ pipeline memory', { skip: process.platform !== 'linux' && 'reads /proc (Linux only)' }, () => {
  it('peak memory is one block plus the calibration activations, on a model at least 4× larger than that', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-pipeline-mem-'));
    try {
      const text = path.join(dir, 'calib.txt');
      // words of the synthetic vocabulary (▁w300 …), so that the text tokenizes without byte fallback
      fs.writeFileSync(text, Array.from({ length: 40_000 }, (_, i) => `w${300 + ((i * 7919) % 200)}`).join(' '));
      const small = await peakGrowth(dir, 2, text);
      const large = await peakGrowth(dir, 96, text);
      // the 2-block peak, with 10% and 4 MiB for the noise of the allocator and the JS heap (seen: ±3 MiB between runs)
      const budget = small.growth * 1.1 + 4 * MiB;
      const report = `budget ${(budget / MiB).toFixed(1)} MiB (2 blocks: ${(small.growth / MiB).toFixed(1)} MiB), 96 blocks: peak growth ${(large.growth / MiB).toFixed(1)} MiB for a ${(large.modelBytes / MiB).toFixed(0)} MiB model`;
      assert.ok(large.modelBytes >= 4 * budget, `the large model must be at least 4× the budget: ${report}`);
      assert.ok(large.growth <= budget, report);
      console.log(report);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
