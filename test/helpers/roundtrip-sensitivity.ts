// A genuine but simple sensitivity measure for tests and benchmarks: for every quantizable tensor
// and every candidate type that fits its rows, quantize the weights with the native formats (as
// `lowbit quantize --method rtn` does, no importance) and dequantize them again; the error is the
// sum of squared differences. It uses no calibration text (calibration.tokens = 0), so it carries
// no reach information. The Hessian-weighted measure of the streaming pipeline replaces it.
import fs from 'node:fs';

import { ggmlTypeByName } from '../../main/core/gguf/ggml-types.js';
import { importModel } from '../../main/core/model/import.js';
import { isQuantizable } from '../../main/core/quant/presets.js';
import { fixedBytes } from '../../main/core/sensitivity/measure.js';
import { tensorPlace } from '../../main/core/sensitivity/tensor-place.js';
import type { SensitivityReport, TensorSensitivity } from '../../main/contract/sensitivity.js';
import { native } from '../../main/engine/native.js';
import { readTensorValues } from '../../main/engine/tensor-values.js';

export const ROUNDTRIP_TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'Q8_0', 'F16'];

/** Something that measures a model's per-tensor sensitivity (the pipeline's measure plugs in here). */
export type SensitivityProvider = (modelPath: string) => Promise<SensitivityReport>;

export function roundTripSensitivity(modelPath: string, types: readonly string[] = ROUNDTRIP_TYPES): SensitivityReport {
  const desc = importModel(modelPath);
  const tensors: TensorSensitivity[] = [];
  for (const t of desc.tensors) {
    if (!isQuantizable({ name: t.name, ne: t.ne, type: t.type })) continue;
    const w = readTensorValues(t);
    const rows = w.length / t.ne[0];
    const candidates = types
      .filter((type) => t.ne[0] % ggmlTypeByName(type)!.blockSize === 0)
      .map((type) => {
        const q = native().quantize(type, w, rows, t.ne[0], null);
        const d = native().dequantize(type, q, w.length);
        let error = 0;
        for (let i = 0; i < w.length; i++) error += (w[i] - d[i]) ** 2;
        return { type, bytes: q.length, error };
      });
    tensors.push({ name: t.name, ne: t.ne, ...tensorPlace(t.name), activations: 0, candidates });
  }
  return {
    version: 1,
    model: { path: desc.path, bytes: fs.statSync(desc.path).size },
    calibration: { source: 'none: weight round-trip error', sha256: '', sequences: 0, length: 0, seed: 0, tokens: 0 },
    method: 'rtn',
    fixedBytes: fixedBytes(desc),
    tensors,
  };
}

export const roundTripProvider: SensitivityProvider = async (modelPath) => roundTripSensitivity(modelPath);
