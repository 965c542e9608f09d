// The plan budget: only budgets between the smallest and largest buildable plans make a plan.
export interface Bounds {
  minBpw: number;
  maxBpw: number;
  minBytes: number;
  maxBytes: number;
}

export type Unit = 'bpw' | 'size';

/** The slider's ends, rounded inwards to its step so both ends are plans that exist. */
export function budgetRange(b: Bounds, unit: Unit): [number, number] {
  return unit === 'bpw' ? [Math.ceil(b.minBpw * 100) / 100, Math.floor(b.maxBpw * 100) / 100] : [b.minBytes, b.maxBytes];
}

/** The nearest budget that a plan can meet, and whether the asked one had to move. */
export function nearestBudget(value: number, b: Bounds, unit: Unit): { value: number; moved: boolean } {
  const [lo, hi] = budgetRange(b, unit);
  if (!Number.isFinite(value)) return { value: lo, moved: true };
  const v = Math.min(hi, Math.max(lo, value));
  return { value: v, moved: v !== value };
}
