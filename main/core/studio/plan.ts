// A plan for a size budget over a SensitivityReport: every tensor gets one candidate type
// (allocate() from main/core/plan), pinned tensors keep the type the user chose.
import type { PlanResult, PlanTarget, SensitivityReport } from '../../contract/api.js';
import { allocate, BudgetTooSmallError } from '../plan/allocate.js';

export function weightsOf(report: SensitivityReport): number {
  return report.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
}

/** Bits per weight count every byte of the file's tensors over the quantizable tensors' weights. */
export function planForBudget(report: SensitivityReport, target: PlanTarget, pins: Record<string, string>): PlanResult {
  const weights = weightsOf(report);
  const fixed = report.fixedBytes + (report.headerBytes ?? 0);
  const names = new Set(report.tensors.map((t) => t.name));
  for (const name of Object.keys(pins)) if (!names.has(name)) throw new Error(`pinned tensor ${name} is not in the report`);
  const tensors = report.tensors.map((t) => {
    const pin = pins[t.name];
    const candidates = pin ? t.candidates.filter((c) => c.type === pin) : t.candidates;
    if (!candidates.length) throw new Error(`${t.name} cannot be ${pin}: its candidates are ${t.candidates.map((c) => c.type).join(', ')}`);
    return { name: t.name, candidates };
  });
  const maxBytes = fixed + tensors.reduce((s, t) => s + Math.max(...t.candidates.map((c) => c.bytes)), 0);
  const budget = target.kind === 'bytes' ? target.value : (target.value * weights) / 8;
  let r;
  try {
    r = allocate(tensors, budget - fixed);
  } catch (e) {
    if (e instanceof BudgetTooSmallError)
      throw new Error(`the budget is below the smallest plan: ${((8 * (e.minBytes + fixed)) / weights).toFixed(3)} bpw (${e.minBytes + fixed} bytes)`);
    throw e;
  }
  const bytes = r.bytes + fixed;
  return {
    tensors: Object.fromEntries([...r.choice].map(([n, c]) => [n, c.type])),
    bytes,
    bitsPerWeight: (8 * bytes) / weights,
    error: r.error,
    minBytes: r.minBytes + fixed,
    maxBytes,
    weights,
    exact: r.exact,
  };
}
