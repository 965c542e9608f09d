// End-to-end check of a sensitivity report: for every (tensor, candidate type), the KL divergence
// to the original model when only that tensor is quantized (round to nearest), on a small
// evaluation text. The quantized bytes go to a scratch file that the model description points the
// one tensor at, so no model file is rewritten. Costly (tensors × types evaluations): for small
// models and for checking the Hessian-weighted prediction.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadText, TextSource } from '../calibration/text-source.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { tokenizerForModel } from '../tokenizer/for-model.js';
import { throwIfCancelled } from '../../engine/cancelled.js';
import { evaluate } from '../../engine/evaluate.js';
import { native } from '../../engine/native.js';
import { readTensorValues } from '../../engine/tensor-values.js';
import type { SensitivityReport } from '../../contract/sensitivity.js';

export interface KlRequest {
  text: TextSource;
  nCtx: number;
  /** evaluation chunks of nCtx tokens (the first ones of the text) */
  chunks: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Fills `kl` of every candidate in the report (in place) and returns it. */
export async function measureKl(report: SensitivityReport, req: KlRequest): Promise<SensitivityReport> {
  const desc = importModel(report.model.path);
  const tokenizer = tokenizerForModel(desc);
  const tokens = Int32Array.from(tokenizer.encode(loadText(req.text).text)).slice(0, req.nCtx * req.chunks);
  if (tokens.length < req.nCtx) throw new Error(`the evaluation text has ${tokens.length} tokens, fewer than one context of ${req.nCtx}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-kl-'));
  const total = report.tensors.reduce((s, t) => s + t.candidates.length, 0);
  let done = 0;
  try {
    for (const t of report.tensors) {
      const source = desc.tensors.find((x) => x.name === t.name);
      if (!source) throw new Error(`tensor ${t.name} of the report is not in ${desc.path}`);
      const w = readTensorValues(source);
      for (const c of t.candidates) {
        throwIfCancelled(req.signal);
        const data = native().quantize(c.type, w, w.length / source.ne[0], source.ne[0], null);
        const file = path.join(dir, 'tensor.bin');
        fs.writeFileSync(file, data);
        const variant: ModelDescription = {
          ...desc,
          tensors: desc.tensors.map((x) => (x.name === t.name ? { ...x, type: c.type, file, offset: 0, nbytes: data.length } : x)),
        };
        const r = await evaluate(variant, {
          tokens, nCtx: req.nCtx, bos: tokenizer.bos, addBos: tokenizer.addBos, threads: req.threads ?? 1, reference: desc, signal: req.signal,
        });
        c.kl = r.meanKl;
        req.onProgress?.(++done, total);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
