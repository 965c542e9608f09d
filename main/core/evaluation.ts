// An evaluation run end to end: import, tokenize, evaluate on the engine, record in the store.
import os from 'node:os';

import { describeTextSource, TextSource } from './calibration/text-source.js';
import type { Store } from './db/store.js';
import { importModel } from './model/import.js';
import { recordModel } from './model/registry.js';
import { tokenizeTextOffThread } from './calibration/tokenize.js';
import { type BackendChoice, chooseBackend } from '../engine/backend.js';
import { evaluate, type Evaluation, type EvaluateOptions, EvaluationCancelled } from '../engine/evaluate.js';
import { evaluateWebGpu } from '../engine/webgpu/evaluate.js';
import type { ModelDescription } from './model/types.js';

export interface EvalRequest {
  model: string;
  text: TextSource;
  nCtx: number;
  reference?: string;
  threads?: number;
  store?: Store;
  projectId?: number | null;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, stage: string) => void;
  /** where the forward passes run (default cpu); a missing or failing GPU falls back to the CPU */
  backend?: BackendChoice;
  /** the backend in use, and why when it fell back to the CPU */
  onNotice?: (message: string) => void;
}

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
  runId: number | null;
}

export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export async function runEvaluation(req: EvalRequest): Promise<EvalReport> {
  const model = importModel(req.model);
  const reference = req.reference ? importModel(req.reference) : undefined;
  const params = { model: req.model, reference: req.reference ?? null, text: describeTextSource(req.text), nCtx: req.nCtx };
  const modelId = req.store ? await recordModel(req.store, model, req.projectId) : null;
  const runId = req.store ? req.store.startRun({ kind: 'eval', params, projectId: req.projectId, modelId }) : null;
  try {
    req.onProgress?.(0, 1, 'tokenizing');
    const { text, tokens, bos, addBos } = await tokenizeTextOffThread(req.model, req.text, req.signal);
    const t0 = performance.now();
    const { evaluation: r, backend } = await evaluateOn(req, model, {
      tokens,
      nCtx: req.nCtx,
      bos,
      addBos,
      threads: req.threads ?? defaultThreads(),
      reference,
      signal: req.signal,
      onProgress: (d, t) => req.onProgress?.(d, t, 'evaluating'),
    });
    const report: EvalReport = {
      model: req.model,
      reference: req.reference ?? null,
      text: { source: describeTextSource(req.text), sha256: text.sha256, bytes: text.bytes, tokens: tokens.length },
      nCtx: req.nCtx,
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
      runId,
    };
    if (runId !== null) req.store!.finishRun(runId, 'done', { results: report, timings: { evaluate: report.seconds } });
    return report;
  } catch (e) {
    if (runId !== null) {
      const cancelled = e instanceof EvaluationCancelled;
      req.store!.finishRun(runId, cancelled ? 'cancelled' : 'failed', { error: (e as Error).message });
    }
    throw e;
  }
}

/** Runs on the chosen backend; a GPU failure other than a cancel falls back to the CPU with a notice. */
async function evaluateOn(req: EvalRequest, model: ModelDescription, o: EvaluateOptions): Promise<{ evaluation: Evaluation; backend: 'cpu' | 'webgpu' }> {
  const choice = req.backend ?? 'cpu';
  const selection = choice === 'cpu' ? undefined : await chooseBackend(choice, 'evaluation');
  if (selection) req.onNotice?.(selection.message);
  if (selection?.kernels) {
    try {
      return { evaluation: await evaluateWebGpu(selection.kernels, model, o), backend: 'webgpu' };
    } catch (e) {
      if (e instanceof EvaluationCancelled || req.signal?.aborted) throw e;
      req.onNotice?.(`webgpu failed (${(e as Error).message}); falling back to the CPU`);
    }
  }
  return { evaluation: await evaluate(model, o), backend: 'cpu' };
}
