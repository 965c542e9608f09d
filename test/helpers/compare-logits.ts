// Compares two logit matrices (positions × vocabulary) as distributions.
export interface LogitComparison {
  maxRelDiff: number;
  /** mean over positions of KL(softmax(a) || softmax(b)) */
  meanKl: number;
  /** share of positions whose argmax agrees */
  top1: number;
}

function logSumExp(x: Float32Array): number {
  let m = -Infinity;
  for (const v of x) m = Math.max(m, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  return m + Math.log(s);
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export function compareLogits(a: Float32Array, b: Float32Array, nVocab: number): LogitComparison {
  let maxDiff = 0;
  let range = 0;
  let kl = 0;
  let top1 = 0;
  const n = a.length / nVocab;
  for (let p = 0; p < n; p++) {
    const x = a.subarray(p * nVocab, (p + 1) * nVocab);
    const y = b.subarray(p * nVocab, (p + 1) * nVocab);
    const lx = logSumExp(x);
    const ly = logSumExp(y);
    for (let v = 0; v < nVocab; v++) {
      maxDiff = Math.max(maxDiff, Math.abs(x[v] - y[v]));
      range = Math.max(range, Math.abs(x[v]));
      kl += Math.exp(x[v] - lx) * (x[v] - lx - (y[v] - ly));
    }
    if (argmax(x) === argmax(y)) top1++;
  }
  return { maxRelDiff: maxDiff / range, meanKl: kl / n, top1: top1 / n };
}
