// Heatmap layout and colours, kept apart from the component so drawing is one tight loop.
import type { SensitivityReport, TensorSensitivity } from '../../../main/contract/api';
import { EXPLAIN } from '../lib/explain';

export interface Grid {
  rows: Array<number | null>;
  kinds: string[];
  /** row-major: cells[r * kinds.length + k] is the tensor there, or null */
  cells: Array<TensorSensitivity | null>;
}

export function grid(report: SensitivityReport): Grid {
  const kinds: string[] = [];
  const layers = new Set<number>();
  let outside = false;
  for (const t of report.tensors) {
    if (!kinds.includes(t.kind)) kinds.push(t.kind);
    if (t.layer === null) outside = true;
    else layers.add(t.layer);
  }
  const rows: Array<number | null> = [...(outside ? [null] : []), ...[...layers].sort((a, b) => a - b)];
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const kindIndex = new Map(kinds.map((k, i) => [k, i]));
  const cells: Array<TensorSensitivity | null> = new Array(rows.length * kinds.length).fill(null);
  for (const t of report.tensors) cells[rowIndex.get(t.layer)! * kinds.length + kindIndex.get(t.kind)!] = t;
  return { rows, kinds, cells };
}

export type Metric = 'error' | 'errorPerWeight' | 'outputError' | 'kl';
export const METRICS: Record<Metric, string> = {
  error: 'error',
  errorPerWeight: 'error per weight',
  outputError: 'output error',
  kl: 'KL (tensor alone)',
};

export const METRIC_HELP: Record<Metric, string> = {
  error: EXPLAIN.error,
  errorPerWeight: `${EXPLAIN.error} Divided by the tensor's weights, so tensors of different sizes compare.`,
  outputError: 'The same error carried to the block’s output (measured with the quantized blocks before it).',
  kl: `KL divergence to the original, in nats, with only this tensor quantized (lowbit sensitivity --measure-kl).`,
};

export function metricsIn(report: SensitivityReport): Metric[] {
  const c = report.tensors[0]?.candidates[0];
  return (['error', 'errorPerWeight', 'outputError', 'kl'] as Metric[]).filter((m) => m === 'error' || m === 'errorPerWeight' || (c && c[m] !== undefined));
}

export const weightsOf = (t: TensorSensitivity) => t.ne.reduce((a, b) => a * b, 1);

export function metricValue(t: TensorSensitivity, type: string, metric: Metric): number | null {
  const c = t.candidates.find((x) => x.type === type);
  if (!c) return null;
  const v = metric === 'errorPerWeight' ? c.error / weightsOf(t) : metric === 'error' ? c.error : (c[metric] ?? null);
  return v ?? null;
}

/** bits per weight of a tensor in a type, from the candidate's exact bytes */
export function bitsOf(t: TensorSensitivity, type: string): number | null {
  const c = t.candidates.find((x) => x.type === type);
  return c ? (8 * c.bytes) / weightsOf(t) : null;
}

// perceptually ordered stops (dark blue → teal → yellow), 0..1
const STOPS: Array<[number, number, number]> = [
  [48, 18, 59], [50, 101, 206], [27, 175, 190], [89, 221, 118], [221, 226, 52], [250, 130, 39], [180, 20, 20],
];

export function ramp(x: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, x)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export const css = ([r, g, b]: [number, number, number]) => `rgb(${r | 0}, ${g | 0}, ${b | 0})`;

/** Plan colours: few bits are hot, many bits are cold (2 → 16 bpw on a log scale). */
export function bitsColour(bits: number): [number, number, number] {
  return ramp(1 - Math.log2(Math.max(2, Math.min(16, bits)) / 2) / 3);
}
