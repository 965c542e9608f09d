// Perplexity / KL evaluation on the native engine as an async function with cancel and progress.
import { CancelledError, throwIfCancelled } from './cancelled.js';
import type { EngineModel } from './model-types.js';
import { awaitJob, ModelHandle, NativeEvalResult, native } from './native.js';

export interface EvaluateOptions {
  tokens: Int32Array;
  nCtx: number;
  bos: number | null;
  addBos: boolean;
  threads: number;
  reference?: EngineModel;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface Evaluation extends NativeEvalResult {
  ppl: number;
  /** standard error of the perplexity (as llama-perplexity's "PPL = x +/- e") */
  pplError: number;
  /** mean KL divergence to the reference per scored position */
  meanKl?: number;
  /** standard error of the mean KL */
  meanKlError?: number;
  /** share of scored positions whose most likely token equals the reference's */
  top1Agreement?: number;
  refPpl?: number;
}

/**
 * Standard error of a mean from the sum and sum of squares of n values: sqrt(var / (n - 1)) with
 * var = Σx²/n − mean², the way llama-perplexity computes its uncertainties.
 */
export function standardError(sum: number, sum2: number, n: number): number {
  if (n < 2) return NaN;
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - mean * mean) / (n - 1));
}

/** The sums of a run (native or WebGPU) as perplexity, KL and agreement with their errors. */
export function summarize(r: NativeEvalResult): Evaluation {
  return {
    ...r,
    ppl: Math.exp(r.nll / r.count),
    // the error of exp(mean NLL), to first order exp(mean) · se(mean)
    pplError: Math.exp(r.nll / r.count) * standardError(r.nll, r.nll2, r.count),
    meanKl: r.kl === undefined ? undefined : r.kl / r.count,
    meanKlError: r.kl === undefined ? undefined : standardError(r.kl, r.kl2!, r.count),
    top1Agreement: r.top1 === undefined ? undefined : r.top1 / r.count,
    refPpl: r.refNll === undefined ? undefined : Math.exp(r.refNll / r.count),
  };
}

export function openModel(d: EngineModel): ModelHandle {
  return native().openModel({ hparams: d.hparams, tensors: d.tensors });
}

export async function evaluate(model: EngineModel, o: EvaluateOptions): Promise<Evaluation> {
  const handle = openModel(model);
  const ref = o.reference ? openModel(o.reference) : undefined;
  try {
    throwIfCancelled(o.signal);
    const job = native().evaluate(
      handle,
      o.tokens,
      { nCtx: o.nCtx, threads: o.threads, bos: o.bos ?? -1, addBos: o.addBos && o.bos !== null, reference: ref },
      o.onProgress,
    );
    return summarize(await awaitJob(job, o.signal, () => new CancelledError()));
  } finally {
    native().closeModel(handle);
    if (ref) native().closeModel(ref);
  }
}
