// Layer sensitivity: for every quantizable tensor and every candidate type whose blocks fit its
// rows, the exact bytes and the Hessian-weighted error, from one block-by-block pass of the native
// engine over the calibration text (native/include/lowbit/sensitivity.h). Optionally the
// end-to-end KL divergence with only that tensor quantized (measure-kl.ts).
import { describeTextSource, TextSource } from '../calibration/text-source.js';
import type { CalibrationParams } from '../calibration/sample.js';
import { loadCalibrationOffThread } from '../calibration/tokenize.js';
import { ggmlTypeByName, tensorBytes } from '../gguf/ggml-types.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { isQuantizable, unquantizedType } from '../quant/presets.js';
import { CancelledError, throwIfCancelled } from '../../engine/cancelled.js';
import { openModel } from '../../engine/evaluate.js';
import { awaitJob, native, NativeSensitivityEntry } from '../../engine/native.js';
import { tensorPlace } from './tensor-place.js';
import { explainUnfit } from './unfit.js';
import type { SensitivityReport, TensorSensitivity } from '../../contract/sensitivity.js';

export const DEFAULT_SENSITIVITY_TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0'];

export interface SensitivityRequest {
  model: string;
  calibration: { source: TextSource; params: CalibrationParams };
  /** candidate types; F16 is always added so that rows no block type fits still have a choice */
  types?: string[];
  method?: 'rtn' | 'gptq';
  /** > 0: also measure the error reaching each block's output, on this many calibration sequences */
  outputErrorSequences?: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export function checkCandidateTypes(types: string[]): string[] {
  const known = new Set(native().typeInfo().filter((t) => t.codec).map((t) => t.name));
  for (const t of types) if (!known.has(t) || t === 'F32') throw new Error(`${t} is not a candidate type (choose among ${[...known].filter((k) => k !== 'F32').join(', ')})`);
  return [...new Set([...types, 'F16'])];
}

export async function measureSensitivity(req: SensitivityRequest): Promise<SensitivityReport> {
  const types = checkCandidateTypes(req.types ?? DEFAULT_SENSITIVITY_TYPES);
  const desc = importModel(req.model);
  const set = await loadCalibrationOffThread(req.model, req.calibration.source, req.calibration.params);
  const method = req.method ?? 'rtn';
  const handle = openModel(desc);
  let entries: NativeSensitivityEntry[];
  try {
    throwIfCancelled(req.signal);
    const job = native().sensitivity(handle, set.tokens, {
      seqLen: req.calibration.params.length, threads: req.threads ?? 1, types, gptq: method === 'gptq', outputErrorSequences: req.outputErrorSequences ?? 0,
    }, (d, t) =>
      req.onProgress?.('measuring blocks', d, t),
    );
    entries = await awaitJob(job, req.signal, () => new CancelledError());
  } finally {
    native().closeModel(handle);
  }
  return explainUnfit({
    version: 1,
    model: { path: desc.path, bytes: desc.tensors.reduce((s, t) => s + t.nbytes, 0) },
    calibration: { source: describeTextSource(req.calibration.source), sha256: set.sha256, ...req.calibration.params, tokens: set.tokens.length },
    method,
    fixedBytes: fixedBytes(desc),
    tensors: reportTensors(desc, entries),
  }, types);
}

/** Bytes of the tensors no plan quantizes (norms, biases), in the type the quantizer gives them. */
export function fixedBytes(desc: ModelDescription): number {
  return desc.tensors.filter((t) => !isQuantizable(t)).reduce((s, t) => s + tensorBytes(ggmlTypeByName(unquantizedType(t))!, t.ne), 0);
}

function reportTensors(desc: ModelDescription, entries: NativeSensitivityEntry[]): TensorSensitivity[] {
  const byTensor = new Map<string, NativeSensitivityEntry[]>();
  for (const e of entries) byTensor.set(e.tensor, [...(byTensor.get(e.tensor) ?? []), e]);
  return desc.tensors
    .filter((t) => isQuantizable(t))
    .map((t) => {
      const measured = byTensor.get(t.name);
      // a tied output (no output.weight) and anything the engine does not run are not measured
      if (!measured) return null;
      return {
        name: t.name, ne: t.ne, ...tensorPlace(t.name), activations: measured[0].tokens,
        candidates: measured.map((e) => ({ type: e.type, bytes: e.bytes, error: e.error, ...(e.outputError !== null ? { outputError: e.outputError } : {}) })),
      };
    })
    .filter((t): t is TensorSensitivity => t !== null);
}
