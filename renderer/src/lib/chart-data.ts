// The numbers behind the size/KL chart, apart from chart.js so they can be tested.
export interface SizeUnit {
  name: 'B' | 'KiB' | 'MiB' | 'GiB';
  bytes: number;
}

/** One unit for a whole set of sizes (the largest one's), so a table or chart never mixes units. */
export function sizeUnit(largest: number): SizeUnit {
  if (largest >= 1024 ** 3) return { name: 'GiB', bytes: 1024 ** 3 };
  if (largest >= 1024 ** 2) return { name: 'MiB', bytes: 1024 ** 2 };
  if (largest >= 1024) return { name: 'KiB', bytes: 1024 };
  return { name: 'B', bytes: 1 };
}

export function inUnit(bytes: number, unit: SizeUnit): string {
  const v = bytes / unit.bytes;
  return `${v.toFixed(unit.bytes === 1 ? 0 : v < 10 ? 2 : 1)} ${unit.name}`;
}

/**
 * An axis range with room around the points, so none is drawn on (and clipped by) the frame:
 * a tenth of the span each side on a linear axis, a third of a decade on a log axis.
 */
export function paddedRange(values: number[], log: boolean): { min: number; max: number } {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!vs.length) return log ? { min: 1e-6, max: 1 } : { min: 0, max: 1 };
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (log) {
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    const pad = Math.max(1 / 3, (b - a) / 10);
    return { min: 10 ** (a - pad), max: 10 ** (b + pad) };
  }
  const pad = hi > lo ? (hi - lo) / 10 : Math.abs(hi) / 10 || 1;
  lo -= pad;
  hi += pad;
  return { min: Math.max(0, lo), max: hi };
}

export interface FrontPoint {
  bytes: number;
  kl: number;
}

/** The Pareto front: the points no other point beats on both size and KL, smallest first. */
export function paretoFront<P extends FrontPoint>(ps: P[]): P[] {
  const sorted = [...ps].sort((a, b) => a.bytes - b.bytes || a.kl - b.kl);
  const out: P[] = [];
  for (const p of sorted) if (!out.length || p.kl < out[out.length - 1].kl) out.push(p);
  return out;
}
