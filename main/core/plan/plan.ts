// From a sensitivity report to a plan: which type every quantizable tensor gets so that the file
// meets a size (or bits-per-weight) target with the least predicted KL divergence.
//
// Targets: --target-bpw counts the bits of the quantizable tensors over their weights (Q4_K
// everywhere is 4.5 bpw; the file's header, norms and other fixed tensors are not in it).
// --target-size is the whole file: header + every tensor padded to the GGUF alignment. With the
// model given, sizes are exact (laid out as the quantizer lays them out); without it they are the
// report's fixedBytes + headerBytes + tensor bytes.
//
// Constraints: pins fix a tensor's type; per-kind minimums (rules.ts) drop candidates below a
// bits-per-weight floor; tensors never reached by calibration (activations 0) get the stated
// unreached type instead of a choice driven by statistics they do not have, and merged expert
// tensors with some experts never reached are floored at that type. All of them are flagged.
import { BudgetTooSmallError, Candidate, allocate } from './allocate.js';
import { tensorBytes } from '../gguf/ggml-types.js';
import type { ModelDescription } from '../model/types.js';
import { fitRowWidth } from '../quant/presets.js';
import type { PlanFile, SensitivityReport, TensorSensitivity } from '../../contract/sensitivity.js';
import { GGUF_ALIGNMENT, planFileSize } from './plan-size.js';
import { fitPrediction, scaleFor } from './predict.js';
import { DEFAULT_MINIMUMS, DEFAULT_UNREACHED_TYPE, bitsPerWeight, fitsRow, ggmlType, minimumFor, resolvePins } from './rules.js';

export interface PlanOptions {
  targetBpw?: number;
  /** whole-file bytes */
  targetBytes?: number;
  /** tensor name or glob → type; later entries override earlier ones */
  pins?: Record<string, string>;
  /** kind → minimum type (by bits per weight), merged over DEFAULT_MINIMUMS */
  minimums?: Record<string, string>;
  /** false: only the given minimums apply */
  defaultMinimums?: boolean;
  unreachedType?: string;
  /** the model the report measured: makes the file size exact and checks the report against it */
  model?: ModelDescription;
}

/** The target is below the smallest plan the constraints allow; says how small a plan can be. */
export class PlanBelowMinimumError extends Error {
  constructor(
    message: string,
    /** bits per weight of the quantizable tensors in the smallest plan */
    readonly minBitsPerWeight: number,
    /** whole-file bytes of the smallest plan (only for a size target) */
    readonly minFileBytes: number | null,
  ) {
    super(message);
    this.name = 'PlanBelowMinimumError';
  }
}

const align = (n: number) => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
const count = (ne: readonly number[]) => ne.reduce((a, b) => a * b, 1);
const fmtBytes = (n: number) => `${n} bytes (${(n / 1048576).toFixed(2)} MiB)`;

interface Prepared {
  t: TensorSensitivity;
  candidates: Array<Candidate & { measured: boolean }>;
}

export function planFromSensitivity(report: SensitivityReport, o: PlanOptions): PlanFile {
  if ((o.targetBpw === undefined) === (o.targetBytes === undefined)) throw new Error('give exactly one target: bits per weight or file size');
  const target = o.targetBpw ?? o.targetBytes!;
  if (!Number.isFinite(target) || target <= 0) throw new Error(`the target must be a positive number (got ${target})`);
  if (!report?.tensors?.length) throw new Error('the sensitivity report has no tensors');
  if (o.model) checkReportMatchesModel(report, o.model);

  const prediction = fitPrediction(report);
  const pins = resolvePins(o.pins ?? {}, report.tensors);
  const minimums = { ...(o.defaultMinimums === false ? {} : DEFAULT_MINIMUMS), ...(o.minimums ?? {}) };
  for (const [kind, type] of Object.entries(minimums)) ggmlType(type, `minimum for ${kind}`);
  const unreachedType = ggmlType(o.unreachedType ?? DEFAULT_UNREACHED_TYPE, 'unreached type').name;
  const flagged: NonNullable<PlanFile['flagged']> = [];
  const reachKnown = report.calibration.tokens > 0;
  const notes: string[] = [];

  const prepared: Prepared[] = report.tensors.map((t) => {
    const scale = scaleFor(prediction, t.kind);
    for (const c of t.candidates) {
      ggmlType(c.type, `report, tensor ${t.name}`);
      if (!fitsRow(c.type, t.ne)) throw new Error(`report: candidate ${c.type} of ${t.name} does not fit its rows of ${t.ne[0]} values`);
      const exact = tensorBytes(ggmlType(c.type, t.name), t.ne);
      if (c.bytes !== exact) throw new Error(`report: ${t.name} in ${c.type} is ${exact} bytes, the report says ${c.bytes}`);
    }
    const measured = (type: string) => t.candidates.find((c) => c.type === type);
    const fixed = (type: string) => {
      const c = measured(type);
      return [{ type, bytes: tensorBytes(ggmlType(type, t.name), t.ne), error: c ? scale * c.error : 0, measured: !!c }];
    };
    const pinned = pins.get(t.name);
    if (pinned) return { t, candidates: fixed(pinned) };
    if (reachKnown && t.activations === 0) {
      const type = fitRowWidth({ name: t.name, ne: t.ne, type: 'F32' }, unreachedType).type;
      flagged.push({ name: t.name, type, reason: `never reached by calibration: given the unreached default ${unreachedType}${type !== unreachedType ? ` (${type} where its rows do not fit)` : ''}` });
      return { t, candidates: fixed(type) };
    }
    let floor = minimumFor(t.kind, minimums);
    const silent = (reachKnown ? (t.expertActivations ?? []) : []).flatMap((n, e) => (n === 0 ? [e] : []));
    if (silent.length) {
      if (!floor || bitsPerWeight(unreachedType) > bitsPerWeight(floor)) floor = unreachedType;
      flagged.push({ name: t.name, type: '', reason: `experts ${silent.join(', ')} never reached by calibration: floored at ${unreachedType}-class` });
    }
    let cands = t.candidates;
    if (floor) {
      const min = bitsPerWeight(floor);
      cands = t.candidates.filter((c) => bitsPerWeight(c.type) >= min);
      if (!cands.length) {
        if (!t.candidates.length) throw new Error(`report: tensor ${t.name} has no candidate type`);
        const best = t.candidates.reduce((a, b) => (bitsPerWeight(b.type) > bitsPerWeight(a.type) ? b : a));
        cands = [best];
        notes.push(`${t.name}: no measured type meets the minimum ${floor}; using the largest measured, ${best.type}`);
      }
    }
    if (!cands.length) throw new Error(`report: tensor ${t.name} has no candidate type`);
    return { t, candidates: cands.map((c) => ({ type: c.type, bytes: c.bytes, error: scale * c.error, measured: true })) };
  });
  for (const p of prepared) if (p.candidates.some((c) => !c.measured)) notes.push(`${p.t.name}: ${p.candidates[0].type} was not measured; it adds nothing to the predicted KL`);

  const nWeights = report.tensors.reduce((s, t) => s + count(t.ne), 0);
  const byBytes = o.targetBytes !== undefined;
  const allocTensors = prepared.map((p) => ({
    name: p.t.name,
    // in the file every tensor is padded to the alignment; the report's sizes (no model) are not
    candidates: p.candidates.map((c) => ({ ...c, bytes: byBytes && o.model ? align(c.bytes) : c.bytes })),
  }));

  const build = (choice: Map<string, Candidate>, exact: boolean): PlanFile => {
    const types = Object.fromEntries(prepared.map((p) => [p.t.name, choice.get(p.t.name)!.type]));
    const tensorBytesSum = prepared.reduce((s, p) => s + tensorBytes(ggmlType(types[p.t.name], p.t.name), p.t.ne), 0);
    const plan: PlanFile = {
      version: 1,
      model: { path: report.model.path, ...(report.model.sha256 ? { sha256: report.model.sha256 } : {}) },
      target: { kind: byBytes ? 'bytes' : 'bpw', value: target },
      tensors: types,
      bytes: 0,
      bitsPerWeight: (8 * tensorBytesSum) / nWeights,
      predictedKl: prepared.reduce((s, p) => s + choice.get(p.t.name)!.error, 0),
      ...(o.pins && Object.keys(o.pins).length ? { pins: o.pins } : {}),
      ne: Object.fromEntries(prepared.map((p) => [p.t.name, p.t.ne])),
      minimums,
      prediction: { basis: prediction.basis, scales: prediction.basis === 'kl-fit' ? { ...prediction.scales, '*': prediction.global } : {} },
      flagged: flagged.map((f) => ({ ...f, type: types[f.name] })),
      notes,
      exact,
    };
    if (o.model) {
      const size = planFileSize(o.model, plan);
      plan.bytes = size.fileBytes;
      plan.headerBytes = size.headerBytes;
    } else {
      plan.bytes = report.fixedBytes + (report.headerBytes ?? 0) + tensorBytesSum;
      if (report.headerBytes !== undefined) plan.headerBytes = report.headerBytes;
    }
    return plan;
  };

  // Bytes the allocation does not choose (header, fixed tensors): a plan's size minus its tensors'.
  const overhead = (() => {
    if (!byBytes) return 0;
    const smallest = new Map(allocTensors.map((t) => [t.name, t.candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a))]));
    return build(smallest, false).bytes - [...smallest.values()].reduce((s, c) => s + c.bytes, 0);
  })();
  let budget = byBytes ? Math.floor(target - overhead) : Math.floor((target * nWeights) / 8);
  const describe = (minBytes: number) =>
    byBytes
      ? `the target ${fmtBytes(target)} is below the smallest plan the constraints allow, ${fmtBytes(minBytes + overhead)}`
      : `the target ${target} bits per weight is below the smallest plan the constraints allow, ${((8 * minBytes) / nWeights).toFixed(4)} bpw`;
  // The header holds the plan (type names, predicted KL), so its exact length is known only after
  // allocating: shrink the budget by any overshoot and solve again.
  for (let attempt = 0; attempt < 4; attempt++) {
    let r;
    try {
      r = allocate(allocTensors, budget);
    } catch (e) {
      if (e instanceof BudgetTooSmallError)
        throw new PlanBelowMinimumError(
          `${describe(e.minBytes)} (minimums: ${Object.entries(minimums).map(([k, v]) => `${k}≥${v}`).join(', ') || 'none'}; pins and unreached tensors count too)`,
          (8 * e.minBytes) / nWeights,
          byBytes ? e.minBytes + overhead : null,
        );
      throw e;
    }
    const plan = build(r.choice, r.exact);
    if (!byBytes || plan.bytes <= target) return plan;
    budget -= plan.bytes - target;
  }
  throw new Error(`could not meet the target ${fmtBytes(target)}: the header kept growing with the plan`);
}

function checkReportMatchesModel(report: SensitivityReport, desc: ModelDescription): void {
  const byName = new Map(desc.tensors.map((t) => [t.name, t]));
  for (const t of report.tensors) {
    const m = byName.get(t.name);
    if (!m) throw new Error(`the sensitivity report measured ${t.name}, which ${desc.path} does not have: was it made for another model?`);
    if (m.ne.length !== t.ne.length || m.ne.some((d, i) => d !== t.ne[i]))
      throw new Error(`tensor ${t.name} is [${m.ne.join(', ')}] in ${desc.path} but [${t.ne.join(', ')}] in the sensitivity report`);
  }
}
