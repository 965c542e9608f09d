// Evaluate: perplexity in llama-perplexity's protocol and, against a reference model, KL
// divergence and top-1 agreement; the forward passes run on the CPU or a GPU backend.
import { type BackendChoice, chooseBackend } from '../../engine/backends/choose.js';
import { CancelledError } from '../../engine/cancelled.js';
import { evaluate, type Evaluation, type EvaluateOptions } from '../../engine/evaluate.js';
import { evaluateWebGpu } from '../../engine/webgpu/evaluate.js';
import { describeTextSource } from '../calibration/text-source.js';
import { tokenizeTextOffThread } from '../calibration/tokenize.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import type { ExecuteContext, Operation } from './runner.js';
import type { EvaluateSpec } from './spec.js';
import { textPath, textSource } from './text.js';
import { calibrationOverlap } from './text-overlap.js';

export interface EvalReport {
  model: string;
  reference: string | null;
  text: { source: string; sha256: string; bytes: number; tokens: number };
  nCtx: number;
  chunks: number;
  scoredPositions: number;
  ppl: number;
  /** standard error of ppl (llama-perplexity's "±") */
  pplError: number;
  meanKl: number | null;
  meanKlError: number | null;
  top1Agreement: number | null;
  referencePpl: number | null;
  seconds: number;
  /** the backend that ran the evaluation */
  backend: 'cpu' | 'webgpu';
}

export const evaluateOperation: Operation<EvaluateSpec, EvalReport> = {
  unit: 'chunks',
  files: (s) => ({ inputs: [s.model, ...(s.reference ? [s.reference] : []), textPath(s.text)], outputs: [] }),
  async prepare(spec, ctx) {
    const text = textSource(spec.text);
    const overlap = ctx.store && calibrationOverlap(ctx.store, spec.model, text);
    if (overlap) throw new Error(overlap);
    const model = importModel(spec.model);
    const reference = spec.reference ? importModel(spec.reference) : undefined;
    return {
      run: { kind: 'eval', params: { model: spec.model, reference: spec.reference ?? null, text: describeTextSource(text), nCtx: spec.nCtx }, model },
      async execute(x) {
        x.progress('tokenizing', 0, 1);
        const { text: loaded, tokens, bos, addBos } = await tokenizeTextOffThread(spec.model, text, x.signal);
        const t0 = performance.now();
        const { evaluation: r, backend } = await evaluateOn(spec.backend ?? 'cpu', model, x, {
          tokens, nCtx: spec.nCtx, bos, addBos, threads: x.threads, reference, signal: x.signal,
          onProgress: (d, t) => x.progress('evaluating', d, t),
        });
        const report: EvalReport = {
          model: spec.model,
          reference: spec.reference ?? null,
          text: { source: describeTextSource(text), sha256: loaded.sha256, bytes: loaded.bytes, tokens: tokens.length },
          nCtx: spec.nCtx,
          chunks: r.chunks,
          scoredPositions: r.count,
          ppl: r.ppl,
          pplError: r.pplError,
          meanKl: r.meanKl ?? null,
          meanKlError: r.meanKlError ?? null,
          top1Agreement: r.top1Agreement ?? null,
          referencePpl: r.refPpl ?? null,
          seconds: (performance.now() - t0) / 1000,
          backend,
        };
        const kl = report.meanKl === null ? '' : `, KL ${report.meanKl.toFixed(5)}, top-1 ${(100 * report.top1Agreement!).toFixed(2)}%`;
        x.log(`perplexity ${report.ppl.toFixed(4)}${kl} over ${report.scoredPositions} positions`);
        return report;
      },
    };
  },
};

/** Runs on the chosen backend; a GPU failure other than a cancel falls back to the CPU with a notice. */
async function evaluateOn(choice: BackendChoice, model: ModelDescription, x: ExecuteContext, o: EvaluateOptions): Promise<{ evaluation: Evaluation; backend: 'cpu' | 'webgpu' }> {
  const selection = choice === 'cpu' ? undefined : await chooseBackend(choice, 'evaluation');
  if (selection) x.log(selection.message);
  if (selection?.kernels) {
    try {
      return { evaluation: await evaluateWebGpu(selection.kernels, model, o), backend: 'webgpu' };
    } catch (e) {
      if (e instanceof CancelledError || x.signal?.aborted) throw e;
      x.log(`webgpu failed (${(e as Error).message}); falling back to the CPU`);
    }
  }
  return { evaluation: await evaluate(model, o), backend: 'cpu' };
}
