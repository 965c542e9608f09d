// The studio's plans are the CLI's (`lowbit plan`): planFromSensitivity with the same pins,
// per-kind minimums, unreached-tensor defaults and exact file size. It is fast enough for the
// budget slider (tens of ms for 882 tensors, the allocation dominates), so the live preview and
// the saved plan are one and the same computation.
import type { PlanResult, PlanTarget, SavedPlan, SensitivityReport } from '../../contract/api.js';
import type { PlanRow } from '../db/plans-store.js';
import type { ModelDescription } from '../model/types.js';
import { PlanBelowMinimumError, planFromSensitivity } from '../plan/plan.js';
import type { PlanFile } from '../../contract/sensitivity.js';

export function weightsOf(report: SensitivityReport): number {
  return report.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
}

export type PlanBounds = PlanResult['bounds'];

const targetOptions = (t: PlanTarget) => (t.kind === 'bpw' ? { targetBpw: t.value } : { targetBytes: t.value });

export function makePlan(report: SensitivityReport, target: PlanTarget, pins: Record<string, string>, model: ModelDescription | undefined): PlanFile {
  return planFromSensitivity(report, { ...targetOptions(target), pins, model });
}

/** The smallest and largest plans the constraints allow (the slider's ends). */
export function planBounds(report: SensitivityReport, pins: Record<string, string>, model: ModelDescription | undefined): PlanBounds {
  const smallest = (target: PlanTarget): PlanBelowMinimumError => {
    try {
      makePlan(report, target, pins, model);
    } catch (e) {
      if (e instanceof PlanBelowMinimumError) return e;
      throw e;
    }
    throw new Error('a plan fitted a budget of one byte');
  };
  const largest = makePlan(report, { kind: 'bpw', value: 64 }, pins, model);
  return {
    minBpw: smallest({ kind: 'bpw', value: 1e-9 }).minBitsPerWeight,
    maxBpw: largest.bitsPerWeight,
    minBytes: smallest({ kind: 'bytes', value: 1 }).minFileBytes!,
    maxBytes: largest.bytes,
  };
}

export function planResult(plan: PlanFile, bounds: PlanBounds, weights: number, exactSize: boolean): PlanResult {
  return {
    tensors: plan.tensors,
    bytes: plan.bytes,
    bitsPerWeight: plan.bitsPerWeight,
    predictedKl: plan.predictedKl,
    basis: plan.prediction?.basis ?? 'error',
    exact: plan.exact ?? false,
    exactSize,
    flagged: plan.flagged ?? [],
    notes: plan.notes ?? [],
    bounds,
    weights,
  };
}

export function savedPlan(row: PlanRow): SavedPlan {
  const types: Record<string, number> = {};
  for (const t of Object.values(row.plan.tensors)) types[t] = (types[t] ?? 0) + 1;
  return {
    id: row.id,
    projectId: row.projectId,
    sensitivityRunId: row.sensitivityRunId,
    model: row.plan.model.path,
    target: row.plan.target,
    bytes: row.plan.bytes,
    bitsPerWeight: row.plan.bitsPerWeight,
    predictedKl: row.plan.predictedKl,
    basis: row.plan.prediction?.basis ?? 'error',
    pins: Object.keys(row.plan.pins ?? {}).length,
    types,
    createdAt: row.createdAt,
  };
}
