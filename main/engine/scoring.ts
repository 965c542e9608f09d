// Scoring of one chunk's logits in llama-perplexity's protocol, as native/src/core/engine/
// evaluate.cpp does it: NLL of the next token, and against a reference the KL divergence
// KL(reference ‖ model) and top-1 agreement, with log-softmax sums in double.
import type { NativeEvalResult } from './native.js';

function logSumExp(x: Float32Array, o: number, n: number): { max: number; logSum: number } {
  let max = x[o];
  for (let i = 1; i < n; i++) if (x[o + i] > max) max = x[o + i];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(Math.fround(x[o + i] - max));
  return { max, logSum: Math.log(s) };
}

function argmax(x: Float32Array, o: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[o + i] > x[o + best]) best = i;
  return best;
}

/** The running sums of an evaluation (the shape of the native result), empty. */
export function emptySums(withReference: boolean): NativeEvalResult {
  const r: NativeEvalResult = { nll: 0, nll2: 0, count: 0, chunks: 0, seconds: 0 };
  if (withReference) Object.assign(r, { kl: 0, kl2: 0, top1: 0, refNll: 0 });
  return r;
}

/**
 * Adds one chunk: `logits` (and `refLogits`) hold V values for each position first..n_ctx-1 of
 * `targets` (the chunk's original tokens); positions first..n_ctx-2 are scored against the next token.
 */
export function scoreChunk(r: NativeEvalResult, logits: Float32Array, refLogits: Float32Array | undefined, targets: Int32Array, first: number, V: number): void {
  const nCtx = targets.length;
  for (let j = first; j < nCtx - 1; j++) {
    const o = (j - first) * V;
    const target = targets[j + 1];
    const ls = logSumExp(logits, o, V);
    const nll = -(Math.fround(logits[o + target] - ls.max) - ls.logSum);
    r.nll += nll;
    r.nll2 += nll * nll;
    r.count++;
    if (refLogits) {
      const rs = logSumExp(refLogits, o, V);
      r.refNll! += -(Math.fround(refLogits[o + target] - rs.max) - rs.logSum);
      let kl = 0;
      for (let v = 0; v < V; v++) {
        const lpRef = Math.fround(refLogits[o + v] - rs.max) - rs.logSum;
        const lp = Math.fround(logits[o + v] - ls.max) - ls.logSum;
        kl += Math.exp(lpRef) * (lpRef - lp);
      }
      r.kl! += kl;
      r.kl2! += kl * kl;
      if (argmax(logits, o, V) === argmax(refLogits, o, V)) r.top1!++;
    }
  }
}

/** Throws when a logit is NaN or infinite (the native engine's message, without its culprit search). */
export function checkFinite(logits: Float32Array): void {
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) throw new Error('the model produced non-finite logits (a weight is NaN or Inf, or the activations overflowed)');
  }
}
