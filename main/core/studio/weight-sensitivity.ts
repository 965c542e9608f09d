// A SensitivityReport from measurements: for every quantizable tensor and every candidate type
// whose blocks fit its rows, the tensor is quantized as llama.cpp does (importance = diag of its
// inputs' XᵀX) and its error tr((W−Q)·XᵀX·(W−Q)ᵀ)/tokens measured by the native engine over the
// calibration set's Hessians. Tensors whose inputs are not matrix products (token_embd) have no
// XᵀX: their error is the plain squared error Σ(W−Q)², and `activations` is 0 to say so.
// The dedicated sensitivity pipeline (main/core/sensitivity) is the richer source; this one
// is what the studio measures on its own.
import fs from 'node:fs';

import { describeTextSource, TextSource } from '../calibration/text-source.js';
import { loadCalibration, CalibrationParams } from '../calibration/sample.js';
import { ggmlTypeByName, tensorBytes } from '../gguf/ggml-types.js';
import { importModel } from '../model/import.js';
import type { TensorRef } from '../model/types.js';
import { isQuantizable } from '../quant/presets.js';
import type { SensitivityReport, TensorSensitivity } from '../sensitivity/types.js';
import { tokenizerForModel } from '../tokenizer/for-model.js';
import { openModel } from '../../engine/evaluate.js';
import { native } from '../../engine/native.js';

export interface WeightSensitivityRequest {
  model: string;
  calibration: { source: TextSource; params: CalibrationParams };
  types: string[];
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
}

function checkTypes(types: string[]): void {
  const known = new Set(native().typeInfo().map((t) => t.name));
  for (const t of types) if (!known.has(t) || t === 'F32') throw new Error(`${t} is not a candidate type (choose among ${[...known].filter((k) => k !== 'F32').join(', ')})`);
}

/** The tensor's weights as f32 (one tensor at a time; the studio's measurement only). */
function readWeights(t: TensorRef): Float32Array {
  const n = t.ne.reduce((a, b) => a * b, 1);
  const buf = Buffer.alloc(t.nbytes);
  const fd = fs.openSync(t.file, 'r');
  try {
    fs.readSync(fd, buf, 0, t.nbytes, t.offset);
  } finally {
    fs.closeSync(fd);
  }
  if (t.type === 'F32') return new Float32Array(buf.buffer, buf.byteOffset, n).slice();
  return native().dequantize(t.type, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), n);
}

function squaredError(type: string, w: Float32Array, data: Uint8Array): number {
  const q = native().dequantize(type, data, w.length);
  let s = 0;
  for (let i = 0; i < w.length; i++) s += (w[i] - q[i]) ** 2;
  return s;
}

export async function measureWeightSensitivity(req: WeightSensitivityRequest): Promise<SensitivityReport> {
  checkTypes(req.types);
  const desc = importModel(req.model);
  const threads = req.threads ?? 1;
  const set = loadCalibration(req.calibration.source, tokenizerForModel(desc), req.calibration.params);
  req.onProgress?.('collecting activations', 0, 1);
  const handle = openModel(desc);
  let hess: { tokens: number; xtx: Record<string, Float64Array> };
  try {
    const job = native().hessians(handle, set.tokens, { seqLen: req.calibration.params.length, threads }, (d, t) => req.onProgress?.('collecting activations', d, t));
    const onAbort = () => job.cancel();
    req.signal?.addEventListener('abort', onAbort);
    hess = await job.promise.finally(() => req.signal?.removeEventListener('abort', onAbort));
  } finally {
    native().closeModel(handle);
  }

  const quantizable = desc.tensors.filter((t) => isQuantizable(t));
  const fixedBytes = desc.tensors.filter((t) => !isQuantizable(t)).reduce((s, t) => s + t.nbytes, 0);
  const out: TensorSensitivity[] = [];
  for (const [i, t] of quantizable.entries()) {
    if (req.signal?.aborted) throw new Error('cancelled');
    req.onProgress?.('measuring errors', i, quantizable.length);
    // let cancel requests and progress events through between tensors
    await new Promise((r) => setImmediate(r));
    const [cols] = t.ne;
    const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
    const w = readWeights(t);
    const h = hess.xtx[t.name];
    const importance = h ? Float32Array.from({ length: cols }, (_, c) => h[c * cols + c] / hess.tokens) : undefined;
    const m = /^blk\.(\d+)\.(.+)\.weight$/.exec(t.name);
    const candidates = req.types
      .filter((type) => cols % ggmlTypeByName(type)!.blockSize === 0)
      .map((type) => {
        const data = native().quantize(type, w, rows, cols, importance);
        const error = h ? native().weightedError(type, w, rows, cols, h, data, threads) / hess.tokens : squaredError(type, w, data);
        return { type, bytes: tensorBytes(ggmlTypeByName(type)!, t.ne), error };
      });
    // the source type itself is always a choice (no error), so every tensor has a candidate
    if (!candidates.some((c) => c.type === t.type)) candidates.push({ type: t.type, bytes: t.nbytes, error: 0 });
    out.push({ name: t.name, ne: t.ne, layer: m ? Number(m[1]) : null, kind: m ? m[2] : t.name.replace(/\.weight$/, ''), activations: h ? hess.tokens : 0, candidates });
  }
  req.onProgress?.('measuring errors', quantizable.length, quantizable.length);
  const c = req.calibration;
  return {
    version: 1,
    model: { path: desc.path, bytes: desc.tensors.reduce((s, t) => s + t.nbytes, 0) },
    calibration: { source: describeTextSource(c.source), sha256: set.sha256, ...c.params, tokens: hess.tokens },
    method: 'rtn',
    fixedBytes,
    tensors: out,
  };
}
