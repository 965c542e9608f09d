// Quantization with llama.cpp's types and preset mixes (Q4_K_M …): round to nearest, optionally
// weighted by an importance matrix (llama-quantize's output, the baseline every method is compared
// with), or GPTQ from calibration text, written into the same block formats.
import path from 'node:path';

import type { Store } from './db/store.js';
import { exportGguf, ExportCancelled, ExportTensor } from './export/export-gguf.js';
import { isFloatType, quantizedMetadata } from './export/quantized-metadata.js';
import { ropeRowOrder } from './export/source-metadata.js';
import { sha256File } from './model/file-hash.js';
import { importModel } from './model/import.js';
import { recordModel } from './model/registry.js';
import type { ModelDescription } from './model/types.js';
import type { CalibrationParams } from './calibration/sample.js';
import { loadCalibrationOffThread } from './calibration/tokenize.js';
import { TextSource, describeTextSource } from './calibration/text-source.js';
import { openModel } from '../engine/evaluate.js';
import { NativePipelineResult, native } from '../engine/native.js';
import { readImatrix } from './imatrix.js';
import { isQuantizable, presetTypes, PresetChoice } from './quant/presets.js';
import { planParams, planTensorTypes } from './plan/plan-types.js';
import type { PlanFile } from './sensitivity/types.js';
import { tensorPlace } from './sensitivity/tensor-place.js';

export interface CalibrationRequest {
  source: TextSource;
  params: CalibrationParams;
}

/** GPTQ's knobs; the defaults are the reference implementation's, but for the lazy-update block. */
export interface GptqParams {
  /** λ: λ·mean(diag H) is added to H's diagonal (raised automatically while H is not positive definite) */
  damp: number;
  /** columns per lazy-update block: only the order of the float operations depends on it (the
   *  reference takes 128; 256 runs about 10% faster on 4096-wide layers here, `npm run bench:gptq`) */
  blockSize: number;
  /** quantize whole ggml blocks in order of decreasing diag(H) (see native/src/core/gptq/gptq.cpp) */
  actOrder: boolean;
  /** QEP: correct each layer for the error of the quantized layers before it, with strength α */
  qep: boolean;
  qepAlpha: number;
}

export const GPTQ_DEFAULTS: GptqParams = { damp: 0.01, blockSize: 256, actOrder: false, qep: false, qepAlpha: 0.5 };

export interface PresetRequest {
  model: string;
  /** a llama.cpp type or mix (Q4_K_M …), or … */
  preset?: string;
  /** … a plan: the type of every tensor (lowbit plan); exactly one of the two */
  plan?: PlanFile;
  out: string;
  /** rtn: round to nearest (as llama-quantize); gptq: error-compensated, needs calibration text */
  method?: 'rtn' | 'gptq';
  calibration?: CalibrationRequest;
  gptq?: Partial<GptqParams>;
  imatrix?: string;
  pure?: boolean;
  allowRequantize?: boolean;
  threads?: number;
  store?: Store;
  signal?: AbortSignal;
  /** bytes written so far (rtn), or blocks calibrated and quantized so far (gptq, fractional) */
  onProgress?: (done: number, total: number, unit: 'bytes' | 'blocks') => void;
}

export interface QuantizeReport {
  out: string;
  bytes: number;
  bitsPerWeight: number;
  tensors: Array<{ name: string; type: string; nbytes: number; fallbackFrom?: string; error?: number | null; rtnError?: number | null }>;
  /** calibration tokens (gptq) */
  calibrationTokens?: number;
  seconds: number;
  runId: number | null;
}

export function presetPlan(desc: ModelDescription, preset: string, hasImatrix: boolean, pure = false): Map<string, PresetChoice> {
  const h = desc.hparams;
  return presetTypes(
    desc.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type })),
    preset,
    { architecture: h.architecture, nLayer: h.nLayer, nHead: h.nHead, nHeadKv: h.nHeadKv, nEmbd: h.nEmbd, hasImatrix },
    pure,
  );
}

/** Which type each tensor gets: from the preset's rules or from the plan (checked against the model). */
export function tensorTypes(desc: ModelDescription, req: Pick<PresetRequest, 'preset' | 'plan' | 'pure'>, hasImportance: boolean): Map<string, PresetChoice> {
  if (req.plan && req.preset) throw new Error('give either a preset (--type) or a plan (--plan), not both');
  if (req.plan) {
    if (req.pure) throw new Error('--pure applies to presets; a plan already gives every tensor its type');
    return planTensorTypes(desc, req.plan);
  }
  if (!req.preset) throw new Error('give a preset (--type) or a plan (--plan)');
  return presetPlan(desc, req.preset, hasImportance, req.pure);
}

export async function quantizeWithPreset(req: PresetRequest): Promise<QuantizeReport> {
  const t0 = performance.now();
  const desc = importModel(req.model);
  const method = req.method ?? 'rtn';
  // importance comes from an imatrix or from GPTQ's calibration; a bad request or a mismatched plan
  // is refused here, before any calibration work
  const plan = tensorTypes(desc, req, !!req.imatrix || method === 'gptq');
  if (method === 'gptq' && !req.calibration) throw new Error('GPTQ needs calibration text (--calib FILE)');
  if (method === 'gptq' && req.imatrix) throw new Error('GPTQ computes its own statistics from the calibration text; drop --imatrix');
  const imatrix = req.imatrix ? readImatrix(req.imatrix) : undefined;
  const calib = method === 'gptq' ? await loadCalibrationOffThread(req.model, req.calibration!.source, req.calibration!.params) : undefined;
  const gptq = method === 'gptq' ? { ...GPTQ_DEFAULTS, ...req.gptq } : undefined;
  const tensors: ExportTensor[] = desc.tensors.map((t) => {
    const choice = plan.get(t.name)!;
    if (!isFloatType(t.type) && choice.type !== t.type && !req.allowRequantize)
      throw new Error(`tensor ${t.name} is already ${t.type}: requantizing loses quality (use --allow-requantize to do it anyway)`);
    const quantizable = isQuantizable({ name: t.name, ne: t.ne, type: t.type });
    const importance = quantizable ? imatrix?.entries.get(t.name) : undefined;
    const rowOrder = ropeRowOrder(desc, t.name) ?? undefined;
    return { name: t.name, type: choice.type, source: t, rowOrder, importance: importance?.length === t.ne[0] ? importance : undefined };
  });
  const params = {
    ...(req.plan ? planParams(req.plan, req.imatrix ?? null) : { preset: req.preset, imatrix: req.imatrix ?? null, pure: !!req.pure }),
    ...(calib ? { calibration: { source: describeTextSource(req.calibration!.source), ...req.calibration!.params }, ...gptq } : {}),
  };
  const modelId = req.store ? await recordModel(req.store, desc) : null;
  const textSetId =
    req.store && calib
      ? req.store.addTextSet({ purpose: 'calibration', sourcePath: describeTextSource(req.calibration!.source), sourceSha256: calib.sha256, params: { ...req.calibration!.params }, nTokens: calib.tokens.length })
      : null;
  const runId = req.store ? req.store.startRun({ kind: 'quantize', params: { method, model: req.model, out: req.out, ...params }, modelId, textSetId }) : null;
  try {
    const metadata = quantizedMetadata(
      desc,
      tensors.map((t) => ({ name: t.name, type: t.type, ne: t.source.ne })),
      {
        method,
        calibration: calib ? { source: describeTextSource(req.calibration!.source), sha256: calib.sha256, tokens: calib.tokens.length } : undefined,
        preset: req.preset,
        params,
        imatrix: imatrix ? { source: path.basename(imatrix.path), sha256: await sha256File(imatrix.path) } : undefined,
        plan: Object.fromEntries(tensors.map((t) => [t.name, t.type])),
      },
    );
    const progress = req.onProgress;
    const res = calib
      ? await withModel(desc, (handle) =>
          exportGguf<NativePipelineResult>({
            outPath: req.out, metadata, tensors, signal: req.signal,
            writer: (tempPath, jobs, onProgress) =>
              native().quantizeSequential(handle, calib.tokens, jobs, tempPath, { seqLen: req.calibration!.params.length, threads: req.threads ?? 1, ...gptq! }, onProgress),
            // the pipeline counts three steps per block (capture, quantize, propagate)
            onProgress: progress && ((d, t) => progress(d / 3, t / 3, 'blocks')),
          }),
        )
      : await exportGguf({ outPath: req.out, metadata, tensors, threads: req.threads, signal: req.signal, onProgress: progress && ((d, t) => progress(d, t, 'bytes')) });
    const measured = new Map((res.written?.tensors ?? []).map((t) => [t.name, t]));
    const nWeights = desc.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
    const report: QuantizeReport = {
      out: req.out,
      bytes: res.bytes,
      bitsPerWeight: (8 * res.tensors.reduce((s, t) => s + t.nbytes, 0)) / nWeights,
      tensors: res.tensors.map((t) => ({
        name: t.name, type: t.type, nbytes: t.nbytes, fallbackFrom: plan.get(t.name)?.fallbackFrom,
        ...(measured.has(t.name) ? { error: measured.get(t.name)!.error, rtnError: measured.get(t.name)!.rtnError } : {}),
      })),
      calibrationTokens: res.written?.tokens,
      seconds: (performance.now() - t0) / 1000,
      runId,
    };
    if (runId !== null) {
      req.store!.finishRun(runId, 'done', { results: { out: report.out, bytes: report.bytes, bitsPerWeight: report.bitsPerWeight }, timings: { total: report.seconds } });
      req.store!.addTensorStats(
        runId,
        report.tensors.map((t) => {
          const place = tensorPlace(t.name);
          const g = measured.get(t.name);
          return {
            tensor: t.name, layer: place.layer, kind: place.kind, type: t.type, bytes: t.nbytes,
            error: g?.error ?? null, activations: g?.tokens ?? null,
            metrics: g ? { rtnError: g.rtnError, gptq: g.gptq, damp: g.damp, deadColumns: g.deadColumns, qepLambda: g.qepLambda, seconds: g.seconds } : undefined,
          };
        }),
      );
    }
    return report;
  } catch (e) {
    if (runId !== null) req.store!.finishRun(runId, e instanceof ExportCancelled ? 'cancelled' : 'failed', { error: (e as Error).message });
    throw e;
  }
}

async function withModel<T>(desc: ModelDescription, fn: (handle: ReturnType<typeof openModel>) => Promise<T>): Promise<T> {
  const handle = openModel(desc);
  try {
    return await fn(handle);
  } finally {
    native().closeModel(handle);
  }
}
