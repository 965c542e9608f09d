// Quantize: llama.cpp's types and preset mixes (Q4_K_M …) or a plan, by round to nearest,
// optionally weighted by an importance matrix (llama-quantize's output, the baseline every
// method is compared with), or by GPTQ from calibration text, written into the same block formats.
import path from 'node:path';

import { openModel } from '../../engine/evaluate.js';
import { native, type NativePipelineResult } from '../../engine/native.js';
import { describeTextSource } from '../calibration/text-source.js';
import { loadCalibrationOffThread } from '../calibration/tokenize.js';
import type { Store } from '../db/store.js';
import { exportGguf, type ExportTensor } from '../export/export-gguf.js';
import { isFloatType, quantizedMetadata } from '../export/quantized-metadata.js';
import { ropeRowOrder } from '../export/source-metadata.js';
import { readImatrix } from '../imatrix/read.js';
import { sha256File } from '../model/file-hash.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { planParams, planTensorTypes } from '../plan/plan-types.js';
import { isQuantizable, presetTypes, type PresetChoice } from '../quant/presets.js';
import { tensorPlace } from '../sensitivity/tensor-place.js';
import type { Operation } from './runner.js';
import type { GptqOptions, QuantizeSpec, QuantizeTarget } from './spec.js';
import { recordedText, textPath, textSource } from './text.js';

export interface QuantizeReport {
  out: string;
  bytes: number;
  bitsPerWeight: number;
  tensors: Array<{ name: string; type: string; nbytes: number; fallbackFrom?: string; error?: number | null; rtnError?: number | null }>;
  /** calibration tokens (gptq) */
  calibrationTokens?: number;
  seconds: number;
  /** of the file written, so that an export can check it is still the same */
  sha256?: string;
  /** GPTQ's options as the engine ran them */
  gptq?: NativePipelineResult['options'];
  /** the saved plan this run executed, when it came from one */
  planId?: number;
}

export function presetPlan(desc: ModelDescription, preset: string, hasImportance: boolean, pure = false): Map<string, PresetChoice> {
  const h = desc.hparams;
  return presetTypes(
    desc.tensors.map((t) => ({ name: t.name, ne: t.ne, type: t.type })),
    preset,
    { architecture: h.architecture, nLayer: h.nLayer, nHead: h.nHead, nHeadKv: h.nHeadKv, nEmbd: h.nEmbd, hasImatrix: hasImportance },
    pure,
  );
}

/** Which type each tensor gets: the preset's rules, or the plan (checked against the model). */
export function tensorTypes(desc: ModelDescription, target: QuantizeTarget, hasImportance: boolean): Map<string, PresetChoice> {
  return 'plan' in target ? planTensorTypes(desc, target.plan) : presetPlan(desc, target.preset, hasImportance, target.pure);
}

function targetParams(target: QuantizeTarget, imatrix: string | null): Record<string, unknown> {
  if ('plan' in target) return planParams(target.plan, imatrix);
  return { preset: target.preset, imatrix, pure: !!target.pure };
}

export const quantizeOperation: Operation<QuantizeSpec, QuantizeReport> = {
  unit: '%',
  files: (s) => ({
    inputs: [s.model, ...(s.method === 'rtn' && s.imatrix ? [s.imatrix] : []), ...(s.method === 'gptq' ? [textPath(s.calibration.text)] : [])],
    outputs: [s.out],
  }),
  async prepare(spec, ctx) {
    const t0 = performance.now();
    const desc = importModel(spec.model);
    const imatrixPath = spec.method === 'rtn' ? spec.imatrix : undefined;
    // importance comes from an imatrix or from GPTQ's calibration; a mismatched plan is refused
    // here, before any calibration work
    const plan = tensorTypes(desc, spec.target, !!imatrixPath || spec.method === 'gptq');
    const tensors: ExportTensor[] = [];
    const imatrix = imatrixPath ? readImatrix(imatrixPath) : undefined;
    for (const t of desc.tensors) {
      const choice = plan.get(t.name)!;
      if (!isFloatType(t.type) && choice.type !== t.type && !spec.allowRequantize)
        throw new Error(`tensor ${t.name} is already ${t.type}: requantizing loses quality (use --allow-requantize to do it anyway)`);
      const importance = isQuantizable({ name: t.name, ne: t.ne, type: t.type }) ? imatrix?.entries.get(t.name) : undefined;
      tensors.push({ name: t.name, type: choice.type, source: t, rowOrder: ropeRowOrder(desc, t.name) ?? undefined, importance: importance?.length === t.ne[0] ? importance : undefined });
    }
    const calibration = spec.method === 'gptq' ? spec.calibration : undefined;
    const source = calibration && textSource(calibration.text);
    const sampling = calibration && { sequences: calibration.sequences, length: calibration.length, seed: calibration.seed };
    const calib = source ? await loadCalibrationOffThread(spec.model, source, sampling!, ctx.signal) : undefined;
    // what runs: the engine's defaults under the options given
    const gptqGiven = spec.method === 'gptq' ? spec.gptq : undefined;
    const gptq = spec.method === 'gptq' ? resolvedGptq(gptqGiven) : undefined;
    const recorded = {
      ...targetParams(spec.target, imatrixPath ?? null),
      ...(calib ? { calibration: { source: describeTextSource(source!), ...sampling }, ...gptq } : {}),
    };
    let measured = new Map<string, PipelineTensor>();
    const metadata = quantizedMetadata(
      desc,
      tensors.map((t) => ({ name: t.name, type: t.type, ne: t.source.ne })),
      {
        method: spec.method,
        calibration: calib ? { source: describeTextSource(source!), sha256: calib.sha256, tokens: calib.tokens.length } : undefined,
        preset: 'preset' in spec.target ? spec.target.preset : undefined,
        params: recorded,
        imatrix: imatrix ? { source: path.basename(imatrix.path), sha256: await sha256File(imatrix.path) } : undefined,
        plan: Object.fromEntries(tensors.map((t) => [t.name, t.type])),
      },
    );
    return {
      run: {
        kind: 'quantize', model: desc,
        // the saved plan's id is the store's business, not the file's: it stays out of the metadata
        params: { method: spec.method, model: spec.model, out: path.resolve(spec.out), ...recorded, ...('planId' in spec.target ? { planId: spec.target.planId } : {}) },
        textSetId: calibration?.textSetId,
        textSet: calib && { purpose: 'calibration', sourcePath: recordedText(source!), sourceSha256: calib.sha256, params: { ...sampling }, nTokens: calib.tokens.length },
      },
      async execute(x) {
        const progress = (d: number, t: number) => x.progress('quantizing', (100 * d) / t, 100);
        const res = calib
          ? await withModel(desc, (handle) =>
              exportGguf<NativePipelineResult>({
                outPath: spec.out, metadata, tensors, signal: x.signal,
                writer: (tempPath, jobs, onProgress) =>
                  native().quantizeSequential(handle, calib.tokens, jobs, tempPath, { seqLen: calibration!.length, threads: x.threads, ...gptqGiven }, onProgress),
                onProgress: progress,
              }),
            )
          : await exportGguf({ outPath: spec.out, metadata, tensors, threads: x.threads, signal: x.signal, onProgress: progress });
        measured = new Map((res.written?.tensors ?? []).map((t) => [t.name, t]));
        const nWeights = desc.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
        const report: QuantizeReport = {
          out: spec.out,
          bytes: res.bytes,
          bitsPerWeight: (8 * res.tensors.reduce((s, t) => s + t.nbytes, 0)) / nWeights,
          tensors: res.tensors.map((t) => ({
            name: t.name, type: t.type, nbytes: t.nbytes, fallbackFrom: plan.get(t.name)?.fallbackFrom,
            ...(measured.has(t.name) ? { error: measured.get(t.name)!.error, rtnError: measured.get(t.name)!.rtnError } : {}),
          })),
          calibrationTokens: res.written?.tokens,
          ...(res.written ? { gptq: res.written.options } : {}),
          seconds: (performance.now() - t0) / 1000,
          ...('plan' in spec.target && spec.target.planId !== undefined ? { planId: spec.target.planId } : {}),
        };
        // read back only when a run keeps it (export checks it): the file is as large as the model
        if (x.runId !== null) report.sha256 = await sha256File(spec.out);
        x.log(`wrote ${report.out}: ${(report.bytes / 1048576).toFixed(2)} MiB, ${report.bitsPerWeight.toFixed(3)} bpw in ${report.seconds.toFixed(1)} s`);
        return report;
      },
      results: (r) => ({ out: path.resolve(r.out), bytes: r.bytes, bitsPerWeight: r.bitsPerWeight, sha256: r.sha256, ...(r.gptq ? { gptq: r.gptq } : {}) }),
      persist: (store, runId, r) => saveTensorStats(store, runId, r, measured),
    };
  },
};

type PipelineTensor = NativePipelineResult['tensors'][number];

/** GPTQ's options as they run: the engine's defaults under the ones given. */
function resolvedGptq(given: GptqOptions = {}): Required<GptqOptions> {
  const d = native().gptqDefaults();
  return { damp: d.damp, blockSize: d.blockSize, actOrder: d.actOrder, qep: d.qep, qepAlpha: d.qepAlpha, ...given };
}

function saveTensorStats(store: Store, runId: number, r: QuantizeReport, measured: Map<string, PipelineTensor>): void {
  store.addTensorStats(
    runId,
    r.tensors.map((t) => {
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

async function withModel<T>(desc: ModelDescription, fn: (handle: ReturnType<typeof openModel>) => Promise<T>): Promise<T> {
  const handle = openModel(desc);
  try {
    return await fn(handle);
  } finally {
    native().closeModel(handle);
  }
}
