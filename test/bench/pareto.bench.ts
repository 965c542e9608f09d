// Plans across budgets, executed with rtn and measured with our evaluator: does the predicted KL
// rank the plans as the measured KL does (Spearman), and do plans beat llama.cpp's presets at the
// presets' own sizes? A skeleton for issue #5 points 4 and 5: the sensitivity comes from a
// provider (here the weight round-trip stand-in; the streaming pipeline's Hessian-weighted measure
// plugs in the same way), and the KL is our evaluator's, not yet llama.cpp's. Evaluation text:
// the first 200 KB of tinystories_val (no calibration text is used by the stand-in).
// Writes test-artifacts/bench/pareto.json.
//
//   npm run bench:pareto
import fs from 'node:fs';
import path from 'node:path';

import { runEvaluation } from '../../main/core/evaluation.js';
import { importModel } from '../../main/core/model/import.js';
import { planFromSensitivity } from '../../main/core/plan/plan.js';
import { spearman } from '../../main/core/plan/rank-correlation.js';
import { quantizeWithPreset } from '../../main/core/quantize-preset.js';
import type { PlanFile, SensitivityReport } from '../../main/core/sensitivity/types.js';
import { roundTripProvider, SensitivityProvider } from '../helpers/roundtrip-sensitivity.js';
import { artifactsDir, sharedPath } from '../helpers/shared.js';
import { writeBenchResult } from './bench-util.js';

const provider: { name: string; measure: SensitivityProvider } = { name: 'weight round-trip squared error (stand-in)', measure: roundTripProvider };
const models = [{ name: 'stories260K', path: sharedPath('models', 'stories260K.gguf') }];
const evalText = { path: sharedPath('data', 'tinystories_val_200k.txt') };
const BPW_TARGETS = [3, 3.5, 4, 4.5, 5, 6, 6.75, 7.5, 8.25, 9, 9.75, 10.5, 12];
const PRESETS = ['Q4_0', 'IQ4_NL', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0'];
const threads = 2;
const dir = artifactsDir('bench', 'pareto');

async function measure(model: string, file: string) {
  const r = await runEvaluation({ model: file, reference: model, text: evalText, nCtx: 256, threads });
  return { bytes: fs.statSync(file).size, ppl: r.ppl, meanKl: r.meanKl! };
}

async function runPlan(model: string, plan: PlanFile, out: string) {
  await quantizeWithPreset({ model, plan, out, method: 'rtn', threads });
  return { target: plan.target, bitsPerWeight: plan.bitsPerWeight, plannedBytes: plan.bytes, predictedKl: plan.predictedKl, types: countTypes(plan), ...(await measure(model, out)) };
}

function countTypes(plan: PlanFile): Record<string, number> {
  const c: Record<string, number> = {};
  for (const t of Object.values(plan.tensors)) c[t] = (c[t] ?? 0) + 1;
  return c;
}

function tryPlan(report: SensitivityReport, o: Parameters<typeof planFromSensitivity>[1]): PlanFile | string {
  try {
    return planFromSensitivity(report, o);
  } catch (e) {
    return (e as Error).message;
  }
}

const results = [];
for (const m of models) {
  const desc = importModel(m.path);
  const report = await provider.measure(m.path);
  const plans = [];
  const skipped = [];
  for (const bpw of BPW_TARGETS) {
    const plan = tryPlan(report, { targetBpw: bpw, model: desc });
    if (typeof plan === 'string') skipped.push({ targetBpw: bpw, reason: plan });
    else plans.push(await runPlan(m.path, plan, path.join(dir, `${m.name}-plan-${bpw}bpw.gguf`)));
  }
  const presets = [];
  for (const preset of PRESETS) {
    const file = path.join(dir, `${m.name}-${preset}.gguf`);
    await quantizeWithPreset({ model: m.path, preset, out: file, threads });
    const base = await measure(m.path, file);
    const plan = tryPlan(report, { targetBytes: base.bytes, model: desc });
    const ours = typeof plan === 'string' ? { skipped: plan } : await runPlan(m.path, plan, path.join(dir, `${m.name}-plan-at-${preset}.gguf`));
    presets.push({
      preset,
      ...base,
      plan: ours,
      planBeatsPreset: 'meanKl' in ours ? ours.bytes <= base.bytes && ours.meanKl < base.meanKl && ours.ppl < base.ppl : null,
    });
  }
  const predicted = plans.map((p) => p.predictedKl);
  const measured = plans.map((p) => p.meanKl);
  results.push({
    model: m.name,
    predictionBasis: report.tensors.some((t) => t.candidates.some((c) => c.kl !== undefined)) ? 'kl-fit' : 'error',
    plans,
    skipped,
    spearmanPredictedVsMeasuredKl: plans.length >= 2 ? spearman(predicted, measured) : null,
    presets,
  });
}

writeBenchResult('pareto', {
  provider: provider.name,
  evaluator: 'lowbit eval (ours), KL to the unquantized model, ctx 256',
  evalText: path.basename(evalText.path),
  spearmanTarget: 0.9,
  results,
});
