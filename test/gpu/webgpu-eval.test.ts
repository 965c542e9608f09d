// Evaluation with the forward pass on WebGPU against the native CPU engine, on stories260K and a
// Q4_0 quantization of it (lowbit quantize's operation), and on a synthetic model with Qwen's extras:
// - logits: |Δ| ≤ 1e-5 · max|logit| per position (measured 5e-7 of it: f32 sums in another order,
//   the device's exp, and online softmax);
// - perplexity within 1e-5 relative, mean KL within 1e-6 absolute (measured 2e-8 and 6e-8), the
//   same top-1 agreement count ±1 (a near tie may flip) over the same chunks.
// SwiftShader multiplies at a few million MACs per second: the texts here are a few short chunks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import type { ModelDescription, TensorRef } from '../../main/core/model/types.js';
import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { CancelledError } from '../../main/engine/cancelled.js';
import { evaluate, openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { evaluateWebGpu } from '../../main/engine/webgpu/evaluate.js';
import { GpuForward } from '../../main/engine/webgpu/forward.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';

const { kernels, skip: noGpu } = await gpuKernelsOrSkip();
const skip = noGpu || skipNoShared;

function textTokens(file: string, n: number): Int32Array {
  const desc = importModel(file);
  const text = fs.readFileSync(sharedPath('data', 'tinystories_val_200k.txt'), 'utf8').slice(0, 20 * n);
  const ids = Int32Array.from(tokenizerForModel(desc).encode(text));
  assert.ok(ids.length >= n, `the text gave ${ids.length} tokens, fewer than ${n}`);
  return ids.subarray(0, n);
}

describe('evaluation on WebGPU', { skip }, () => {
  const f32 = sharedPath('models', 'stories260K.gguf');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-gpu-eval-'));
  const q4 = path.join(dir, 'stories260K-Q4_0.gguf');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('per-position logits equal the native engine\'s within 1e-5 of the largest logit (F32 and Q4_0)', async (t) => {
    await runOperation({ op: 'quantize', model: f32, target: { preset: 'Q4_0' }, out: q4, method: 'rtn' });
    const types = new Set(importModel(q4).tensors.map((t) => t.type));
    assert.ok(types.has('Q4_0'), `the quantized model holds ${[...types]}`);
    for (const file of [f32, q4]) {
      const { maxDiff, maxLogit } = await logitGap(importModel(file), textTokens(file, 24));
      t.diagnostic(`${path.basename(file)}: max |Δlogit| ${maxDiff.toExponential(2)}, max |logit| ${maxLogit.toFixed(2)}`);
      assert.ok(maxLogit > 1, `${file}: the logits are not trivial (max ${maxLogit})`);
      assert.ok(maxDiff <= 1e-5 * maxLogit, `${path.basename(file)}: max |Δlogit| ${maxDiff} over max |logit| ${maxLogit}`);
    }
  });

  /** max |Δ| between the GPU's and the native engine's logits of `tokens`, and max |logit| */
  async function logitGap(desc: ModelDescription, tokens: Int32Array): Promise<{ maxDiff: number; maxLogit: number }> {
    const fwd = await GpuForward.load(kernels!, desc);
    let gpu: Float32Array;
    try {
      gpu = await fwd.forward(tokens, 0);
    } finally {
      fwd.release();
    }
    const h = openModel(desc);
    const cpu = native().logits(h, tokens, 1);
    native().closeModel(h);
    assert.equal(gpu.length, cpu.length);
    let maxDiff = 0;
    let maxLogit = 0;
    for (let i = 0; i < cpu.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(gpu[i] - cpu[i]));
      maxLogit = Math.max(maxLogit, Math.abs(cpu[i]));
    }
    return { maxDiff, maxLogit };
  }

  it('q/k/v biases, q/k norms, neox RoPE, heads of 128 and more positions than one attention tile (64) agree too', async (t) => {
    const file = path.join(dir, 'heads128.gguf');
    await writeSyntheticGguf(file, { ...SHAPES.tiny, nEmbd: 256, nFf: 384, nHead: 2, nHeadKv: 1 }, { seed: 5 });
    const desc = importModel(file);
    const byName = new Map(desc.tensors.map((x) => [x.name, x]));
    // the extra tensors borrow bytes of the file's F32 tensors: random values for the biases, ones (a norm) for the norms
    const borrow = (name: string, from: string, n: number): TensorRef => ({ ...byName.get(from)!, name, ne: [n], nbytes: 4 * n });
    const extra: TensorRef[] = [];
    for (let l = 0; l < desc.hparams.nLayer; l++) {
      const p = `blk.${l}.`;
      extra.push(borrow(`${p}attn_q.bias`, `${p}attn_q.weight`, 256), borrow(`${p}attn_k.bias`, `${p}attn_k.weight`, 128),
        borrow(`${p}attn_v.bias`, `${p}attn_v.weight`, 128), borrow(`${p}attn_q_norm.weight`, `${p}attn_norm.weight`, 128),
        borrow(`${p}attn_k_norm.weight`, `${p}ffn_norm.weight`, 128));
    }
    const qwenish: ModelDescription = { ...desc, hparams: { ...desc.hparams, ropeType: 'neox' }, tensors: [...desc.tensors, ...extra] };
    assert.equal(qwenish.hparams.headDim, 128);
    const tokens = Int32Array.from({ length: 80 }, (_, i) => (i * 37 + 11) % 512);
    const { maxDiff, maxLogit } = await logitGap(qwenish, tokens);
    t.diagnostic(`max |Δlogit| ${maxDiff.toExponential(2)}, max |logit| ${maxLogit.toFixed(2)}`);
    assert.ok(maxLogit > 0.5, `the logits are not trivial (max ${maxLogit})`);
    assert.ok(maxDiff <= 1e-5 * maxLogit, `max |Δlogit| ${maxDiff} over max |logit| ${maxLogit}`);
    // and the extras matter: without them the native logits differ
    const h = openModel(desc);
    const base = native().logits(h, tokens, 1);
    native().closeModel(h);
    const h2 = openModel(qwenish);
    const withExtras = native().logits(h2, tokens, 1);
    native().closeModel(h2);
    assert.ok(base.some((v, i) => Math.abs(v - withExtras[i]) > 1e-3), 'the biases, norms and RoPE kind changed nothing');
  });

  it('perplexity, KL to the F32 reference and top-1 agreement match the native evaluator', async (t) => {
    const model = importModel(q4);
    const reference = importModel(f32);
    const tokens = textTokens(f32, 3 * 32);
    const o = { tokens, nCtx: 32, bos: 1, addBos: true, threads: 1, reference };
    const progress: number[] = [];
    const gpu = await evaluateWebGpu(kernels!, model, { ...o, onProgress: (d) => progress.push(d) });
    const cpu = await evaluate(model, o);
    t.diagnostic(`PPL webgpu ${gpu.ppl} cpu ${cpu.ppl}; KL webgpu ${gpu.meanKl} cpu ${cpu.meanKl}; top-1 ${gpu.top1}/${cpu.top1}`);
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(gpu.chunks, 3);
    assert.equal(gpu.count, cpu.count);
    assert.equal(gpu.count, 3 * 15);
    assert.ok(Math.abs(gpu.ppl - cpu.ppl) / cpu.ppl < 1e-5, `PPL webgpu ${gpu.ppl} vs cpu ${cpu.ppl}`);
    assert.ok(Math.abs(gpu.refPpl! - cpu.refPpl!) / cpu.refPpl! < 1e-5, `reference PPL webgpu ${gpu.refPpl} vs cpu ${cpu.refPpl}`);
    assert.ok(cpu.meanKl! > 1e-4, `Q4_0 differs from F32 (mean KL ${cpu.meanKl})`);
    assert.ok(Math.abs(gpu.meanKl! - cpu.meanKl!) < 1e-6, `mean KL webgpu ${gpu.meanKl} vs cpu ${cpu.meanKl}`);
    assert.ok(Math.abs(gpu.top1! - cpu.top1!) <= 1, `top-1 webgpu ${gpu.top1} vs cpu ${cpu.top1}`);
    assert.ok(Math.abs(gpu.pplError - cpu.pplError) / cpu.pplError < 1e-3);
  });

  it('rejects bad input with the native evaluator\'s messages, and stops when cancelled', async () => {
    const model = importModel(f32);
    const tokens = textTokens(f32, 40);
    const o = { tokens, nCtx: 16, bos: 1, addBos: true, threads: 1 };
    await assert.rejects(evaluateWebGpu(kernels!, model, { ...o, nCtx: 3 }), /at least 4 tokens/);
    await assert.rejects(evaluateWebGpu(kernels!, model, { ...o, nCtx: 64 }), /40 tokens, fewer than one context of 64/);
    const other = { ...model, hparams: { ...model.hparams, nVocab: 100 } };
    await assert.rejects(evaluateWebGpu(kernels!, model, { ...o, reference: other }), /vocabulary differs/);
    const bad = Int32Array.from(tokens);
    bad[5] = 512;
    await assert.rejects(evaluateWebGpu(kernels!, model, { ...o, tokens: bad }), /token id 512 is outside the vocabulary of 512/);
    const ac = new AbortController();
    await assert.rejects(
      evaluateWebGpu(kernels!, model, { ...o, signal: ac.signal, onProgress: () => ac.abort() }),
      (e) => e instanceof CancelledError,
    );
  });

  it('evaluate with backend webgpu runs there, says so, and agrees with the CPU run', async () => {
    const common = { op: 'evaluate' as const, model: f32, text: { path: sharedPath('data', 'tinystories_val.txt'), start: 0, end: 200 }, nCtx: 24 };
    const notices: string[] = [];
    const gpu = await runOperation({ ...common, backend: 'webgpu' }, { onLog: (m) => notices.push(m) });
    const cpu = await runOperation({ ...common, backend: 'cpu' });
    assert.equal(gpu.backend, 'webgpu', notices.join('\n'));
    assert.match(notices[0], /^backend: webgpu on /);
    assert.equal(cpu.backend, 'cpu');
    assert.ok(gpu.chunks >= 2, `${gpu.chunks} chunks`);
    assert.equal(gpu.scoredPositions, cpu.scoredPositions);
    assert.ok(Math.abs(gpu.ppl - cpu.ppl) / cpu.ppl < 1e-5, `PPL webgpu ${gpu.ppl} vs cpu ${cpu.ppl}`);
  });
});
