// The GPTQ pipeline holds the calibration activations and one block, never the whole model. Two
// synthetic models (random weights) with the same block shape are quantized in child processes
// where the kernel measures the native pipeline's peak resident memory growth (VmHWM). The budget,
// one block plus the activations, is the larger of the 2-block model's measured growth and an
// estimate from the shapes (the measurement alone can read near zero when the process starts the
// pipeline with freed memory to reuse), with 10% and 4 MiB for the allocator's and the JS heap's
// noise (seen: ±3 MiB between runs); the 96-block model, at least 4× larger, must stay within it.
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

// One block's worth: its weights as F32, its four input Hessians in fp64, and GPTQ's working set for
// its widest tensor (the inverse factor and scratch in f32, the weights twice), doubled for the allocator.
function blockEstimate(): number {
  const E = block.nEmbd;
  const F = block.nFf;
  const weights = 4 * (4 * E * E + 3 * E * F);
  const hessians = 8 * (3 * E * E + F * F);
  const gptq = 20 * F * F + 8 * E * F;
  return 2 * (weights + hessians + gptq) + sequences * length * E * 4;
}

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
      const budget = Math.max(small.growth, blockEstimate()) * 1.1 + 4 * MiB;
      const report = `budget ${(budget / MiB).toFixed(1)} MiB (2 blocks measured: ${(small.growth / MiB).toFixed(1)} MiB, estimated ${(blockEstimate() / MiB).toFixed(1)} MiB), 96 blocks: peak growth ${(large.growth / MiB).toFixed(1)} MiB for a ${(large.modelBytes / MiB).toFixed(0)} MiB model`;
      assert.ok(large.modelBytes >= 4 * budget, `the large model must be at least 4× the budget: ${report}`);
      assert.ok(large.growth <= budget, report);
      console.log(report);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
