// Predicted KL divergence of a plan: the sum over tensors of scale(kind) · error of the chosen type.
// When the report carries measured KL (--measure-kl), the scale is fitted by least squares through
// the origin, kl ≈ s · error, per kind when that kind has at least MIN_POINTS_PER_KIND measured
// candidates and globally otherwise; kinds behave differently (an error in attn_v reaches the
// logits differently from one in ffn_gate), a single global scale would misrank them. Without
// any KL the error itself is the prediction (basis 'error'): not in nats, but it ranks plans.
import type { SensitivityReport } from '../../contract/sensitivity.js';

export const MIN_POINTS_PER_KIND = 3;

export interface PredictionModel {
  basis: 'kl-fit' | 'error';
  /** kind → scale; kinds without their own fit use `global` */
  scales: Record<string, number>;
  global: number;
}

function fitThroughOrigin(points: Array<[number, number]>): number | null {
  let xy = 0;
  let xx = 0;
  for (const [x, y] of points) {
    xy += x * y;
    xx += x * x;
  }
  return xx > 0 ? xy / xx : null;
}

export function fitPrediction(report: SensitivityReport): PredictionModel {
  const byKind = new Map<string, Array<[number, number]>>();
  for (const t of report.tensors)
    for (const c of t.candidates) {
      if (c.kl === undefined || !Number.isFinite(c.kl) || !Number.isFinite(c.error)) continue;
      if (!byKind.has(t.kind)) byKind.set(t.kind, []);
      byKind.get(t.kind)!.push([c.error, c.kl]);
    }
  const global = fitThroughOrigin([...byKind.values()].flat());
  if (global === null) return { basis: 'error', scales: {}, global: 1 };
  const scales: Record<string, number> = {};
  for (const [kind, pts] of byKind) {
    const s = pts.length >= MIN_POINTS_PER_KIND ? fitThroughOrigin(pts) : null;
    if (s !== null) scales[kind] = s;
  }
  return { basis: 'kl-fit', scales, global };
}

export function scaleFor(model: PredictionModel, kind: string): number {
  return model.scales[kind] ?? model.global;
}
