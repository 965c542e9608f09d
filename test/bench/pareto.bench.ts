// Mixed precision against llama.cpp's presets on stories260K and babyllama (the llama2.c checkpoint
// converted to GGUF by our writer; its rows of 128 and 352 take only the 32-wide types, so llama.cpp's
// k-quant presets fall back to those there). Sensitivity: our one-pass
// Hessian-weighted measure on calibration text, its KL prediction fitted on single-tensor KLs
// measured on the same calibration text (lowbit sensitivity --measure-kl). Plans at the byte sizes
// of the presets (1 KiB below, for the calibration provenance GPTQ adds to the header) and at
// bits-per-weight targets, executed with GPTQ; the presets are llama.cpp's mixes rounded to nearest
// with an importance matrix from the same calibration text (byte-exact llama-quantize output).
// Every file is measured on text not used for calibration by llama.cpp itself (perplexity and KL
// to the F32 model, node-llama-cpp) and by our evaluator (for the predicted-vs-measured check).
// Writes test-artifacts/bench/pareto.json and pareto-<model>.png (size vs KL, drawn with chart.js in Chromium).
//
//   npm run bench:pareto [-- --model stories260K|babyllama]
import fs from 'node:fs';
import path from 'node:path';

import { computeImatrix } from '../../main/core/calibration/imatrix-run.js';
import { importModel } from '../../main/core/model/import.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import { spearman } from '../../main/core/plan/rank-correlation.js';
import { runOperation } from '../../main/core/operations/runner.js';
import { measureKl } from '../../main/core/sensitivity/measure-kl.js';
import { measureSensitivity } from '../../main/core/sensitivity/measure.js';
import type { PlanFile } from '../../main/contract/sensitivity.js';
import { tokenizerForModel } from '../../main/core/tokenizer/for-model.js';
import { llamaPplKl, llamaScoredLogProbs } from '../helpers/llama.js';
import { artifactsDir, sharedPath } from '../helpers/shared.js';
import { writeBenchResult } from './bench-util.js';
import { drawParetoPng } from './pareto-chart.js';

const calib = { path: sharedPath('data', 'tinystories_val.txt'), start: 400_067 };
const calibration = { source: calib, params: { sequences: 128, length: 256, seed: 0 } };
const evalText = { path: sharedPath('data', 'tinystories_val_200k.txt') };
const BPW_TARGETS = [3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10];
const PRESETS = ['Q4_0', 'IQ4_NL', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0'];
const CANDIDATES = ['Q4_0', 'IQ4_NL', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];
const HEADER_ALLOWANCE = 1024;
// ≈25,000 scored tokens: all but 11 chunks of stories260K's text, a quarter of babyllama's (one token a character)
const LLAMA_CHUNKS = 200;
const threads = 2;
const only = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : undefined;

async function pareto(name: string, model: string, dir: string) {
  const desc = importModel(model);
  const tok = tokenizerForModel(desc);
  const evalTokens = tok.encode(fs.readFileSync(evalText.path, 'utf8'));
  const nVocab = desc.hparams.nVocab;
  const reference = await llamaScoredLogProbs(model, evalTokens, 256, nVocab, tok.bos!, LLAMA_CHUNKS);

  async function measure(file: string) {
    const ours = await runOperation({ op: 'evaluate', model: file, reference: model, text: evalText, nCtx: 256 }, { threads });
    const llama = await llamaPplKl(file, reference, evalTokens, 256, nVocab, tok.bos!, LLAMA_CHUNKS);
    return { bytes: fs.statSync(file).size, llamaCpp: llama, ours: { ppl: ours.ppl, meanKl: ours.meanKl! } };
  }

  function tryPlan(o: Parameters<typeof planFromSensitivity>[1]): PlanFile | string {
    try {
      return planFromSensitivity(report, o);
    } catch (e) {
      return (e as Error).message;
    }
  }

  async function runPlan(plan: PlanFile, out: string) {
    await runOperation({ op: 'quantize', model, target: { plan }, out, method: 'gptq', calibration: { text: calibration.source, ...calibration.params } }, { threads });
    const types: Record<string, number> = {};
    for (const t of Object.values(plan.tensors)) types[t] = (types[t] ?? 0) + 1;
    return { target: plan.target, bitsPerWeight: plan.bitsPerWeight, predictedKl: plan.predictedKl, types, ...(await measure(out)) };
  }

  const t0 = performance.now();
  const report = await measureSensitivity({ model, calibration, types: CANDIDATES, threads });
  await measureKl(report, { text: calib, nCtx: 256, chunks: 4, threads });
  const sensitivitySeconds = (performance.now() - t0) / 1000;
  const imatrix = path.join(dir, 'imatrix.gguf');
  await computeImatrix({ model, text: calib, nCtx: 256, threads, out: imatrix });

  type PresetRow = Awaited<ReturnType<typeof measure>> & {
    preset: string;
    plan: Awaited<ReturnType<typeof runPlan>> | { skipped: string };
    planBeatsPreset: boolean | null;
  };
  const presets: PresetRow[] = [];
  for (const preset of PRESETS) {
    const file = path.join(dir, `preset-${preset}.gguf`);
    await runOperation({ op: 'quantize', model, target: { preset }, method: 'rtn', imatrix, out: file }, { threads });
    const base = await measure(file);
    const plan = tryPlan({ targetBytes: base.bytes - HEADER_ALLOWANCE, model: desc });
    const ours = typeof plan === 'string' ? { skipped: plan } : await runPlan(plan, path.join(dir, `plan-at-${preset}.gguf`));
    const beats = 'llamaCpp' in ours ? ours.bytes <= base.bytes && ours.llamaCpp.meanKl < base.llamaCpp.meanKl && ours.llamaCpp.ppl < base.llamaCpp.ppl : null;
    presets.push({ preset, ...base, plan: ours, planBeatsPreset: beats });
    console.error(`${name} ${preset}: preset ${base.bytes} B KL ${base.llamaCpp.meanKl.toFixed(5)} ppl ${base.llamaCpp.ppl.toFixed(4)} | plan ${'llamaCpp' in ours ? `${ours.bytes} B KL ${ours.llamaCpp.meanKl.toFixed(5)} ppl ${ours.llamaCpp.ppl.toFixed(4)}` : ours.skipped}`);
  }

  const plans = [];
  const skipped = [];
  for (const bpw of BPW_TARGETS) {
    const plan = tryPlan({ targetBpw: bpw, model: desc });
    if (typeof plan === 'string') skipped.push({ targetBpw: bpw, reason: plan });
    else plans.push(await runPlan(plan, path.join(dir, `plan-${bpw}bpw.gguf`)));
  }

  // each bits-per-weight plan against the largest preset no bigger than it
  const plansAtBpw = plans.map((plan) => {
    const below = presets.filter((p) => p.bytes <= plan.bytes).sort((a, b) => b.bytes - a.bytes)[0];
    if (!below) return { ...plan, againstPreset: null };
    const beats = plan.llamaCpp.meanKl < below.llamaCpp.meanKl && plan.llamaCpp.ppl < below.llamaCpp.ppl;
    console.error(`${name} ${plan.target.value} bpw: ${plan.bytes} B KL ${plan.llamaCpp.meanKl.toFixed(5)} ppl ${plan.llamaCpp.ppl.toFixed(4)} | ${below.preset} ${below.bytes} B KL ${below.llamaCpp.meanKl.toFixed(5)} ppl ${below.llamaCpp.ppl.toFixed(4)}`);
    return { ...plan, againstPreset: { preset: below.preset, bytes: below.bytes, llamaCpp: below.llamaCpp, planBeatsPreset: beats } };
  });
  const all = [...plans, ...presets.flatMap((p) => ('llamaCpp' in p.plan ? [p.plan] : []))];
  const rho = spearman(all.map((p) => p.predictedKl), all.map((p) => p.ours.meanKl));
  console.error(`${name}: predicted vs measured KL over ${all.length} plans: Spearman ${rho.toFixed(3)}`);
  const plot = path.join(dir, '..', `pareto-${name}.png`);
  await drawParetoPng(plot, {
    title: `${name}: file size vs KL divergence to F32 (measured by llama.cpp)`,
    presets: presets.map((p) => ({ label: p.preset, bytes: p.bytes, kl: p.llamaCpp.meanKl })),
    plans: all.map((p) => ({ label: p.target.kind === 'bpw' ? `${p.target.value} bpw` : 'at preset size', bytes: p.bytes, kl: p.llamaCpp.meanKl })),
  });
  return {
    model: name,
    sensitivitySeconds,
    presetsWithImatrixVsPlansWithGptq: presets,
    plansAtBpw,
    skipped,
    predictedVsMeasuredKl: { plans: all.length, spearman: rho, target: 0.9 },
    plot,
  };
}

const results = [];
if (!only || only === 'stories260K') results.push(await pareto('stories260K', sharedPath('models', 'stories260K.gguf'), artifactsDir('bench', 'pareto', 'stories260K')));
if (!only || only === 'babyllama') {
  const dir = artifactsDir('bench', 'pareto', 'babyllama');
  const gguf = path.join(dir, 'babyllama-f32.gguf');
  await runOperation({ op: 'quantize', model: sharedPath('models', 'babyllama-tok105', 'model5000.bin'), target: { preset: 'F32' }, out: gguf, method: 'rtn' }, { threads });
  results.push(await pareto('babyllama', gguf, dir));
}
writeBenchResult(only ? `pareto-${only}` : 'pareto', {
  calibration: 'tinystories_val.txt@400067: (128 × 256 tokens, seed 0); single-tensor KL for the fit on 4 × 256 tokens of it',
  evaluation: `tinystories_val_200k.txt, ctx 256: llama.cpp (node-llama-cpp) over its first ${LLAMA_CHUNKS} chunks, our evaluator over all`,
  results,
});
