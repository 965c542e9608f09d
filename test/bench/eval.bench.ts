// Prompt-evaluation throughput: our engine against llama.cpp (node-llama-cpp) on the same tokens
// of the same file with the same thread count, in one run. Prints the ratios and writes them to
// test-artifacts/bench/eval.json. The 1B-shaped models are SYNTHETIC (random weights, for speed
// only); they are generated once under $LOWBIT_BENCH_DIR (default /tmp/lowbit-bench).
//
//   npm run bench:eval [-- --quick]     (--quick: stories260K only)
import fs from 'node:fs';
import path from 'node:path';

import { loadText } from '../../main/core/calibration/text-source.js';
import { importModel } from '../../main/core/model/import.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { SHAPES, writeSyntheticGguf } from '../fixtures/synthetic-model.js';
import { llamaCpp } from '../helpers/llama.js';
import { sharedPath } from '../helpers/shared.js';
import { writeBenchResult } from './bench-util.js';

const threads = Number(process.env.LOWBIT_THREADS ?? 2);
const benchDir = process.env.LOWBIT_BENCH_DIR ?? '/tmp/lowbit-bench';
const quick = process.argv.includes('--quick');

async function synthetic1b(type: 'F32' | 'Q8_0' | 'Q4_0'): Promise<string> {
  fs.mkdirSync(benchDir, { recursive: true });
  const f32 = path.join(benchDir, 'synthetic-tinyllama1b-F32.gguf');
  if (!fs.existsSync(f32)) {
    console.error('generating the synthetic 1B F32 model (4.4 GB)…');
    await writeSyntheticGguf(f32, SHAPES.tinyllama1b, { seed: 1 });
  }
  if (type === 'F32') return f32;
  const out = path.join(benchDir, `synthetic-tinyllama1b-${type}.gguf`);
  if (!fs.existsSync(out)) await runOperation({ op: 'quantize', model: f32, target: { preset: type, pure: true }, out, method: 'rtn' }, { threads });
  return out;
}

async function measure(file: string, nCtx: number, chunks: number) {
  const desc = importModel(file);
  const tok = tokenizerForModel(desc);
  const text = loadText({ path: sharedPath('data', 'tinystories_val.txt') }).text;
  const all = tok.encode(text);
  const tokens = Int32Array.from(all.slice(0, nCtx * chunks));
  // ours: the evaluation loop itself (each chunk from an empty cache, logits of the scored half)
  const handle = openModel(desc);
  const ours = await native().evaluate(handle, tokens, { nCtx, threads, bos: tok.bos ?? -1, addBos: true }).promise;
  native().closeModel(handle);
  // llama.cpp: the same chunks through a context of the same size, same threads, one batch each
  const llama = await llamaCpp();
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: nCtx, batchSize: nCtx, threads });
  const seq = context.getSequence();
  const t0 = performance.now();
  for (let c = 0; c < chunks; c++) {
    await seq.clearHistory();
    const chunk = [...tokens.subarray(c * nCtx, (c + 1) * nCtx)];
    if (tok.bos !== null) chunk[0] = tok.bos;
    await seq.evaluateWithoutGeneratingNewTokens(chunk as never);
  }
  const theirs = (performance.now() - t0) / 1000;
  await context.dispose();
  await model.dispose();
  const n = nCtx * chunks;
  return { file: path.basename(file), tokens: n, nCtx, oursTokPerS: n / ours.seconds, llamaTokPerS: n / theirs, ratio: theirs / ours.seconds };
}

const results = [];
for (const type of ['F32', 'Q8_0', 'Q4_0']) {
  const file = sharedPath('golden', type === 'F32' ? 'stories260K-f32.gguf' : `stories260K-pure-${type}.gguf`);
  results.push({ model: 'stories260K', type, ...(await measure(file, 256, 40)) });
  console.error(JSON.stringify(results[results.length - 1]));
}
if (!quick)
  for (const type of ['F32', 'Q8_0', 'Q4_0'] as const) {
    results.push({ model: 'synthetic tinyllama-1.1B shape', type, ...(await measure(await synthetic1b(type), 512, 1)) });
    console.error(JSON.stringify(results[results.length - 1]));
  }
writeBenchResult('eval', { threads, simd: native().simdLevel(), target: 'ratio (ours / llama.cpp tokens per second) >= 0.5', results });
