// Direct engine calls on a real model for the native tests: the model's description, calibration
// token ids, and the convert jobs of an output file (every matrix in one type, the rest kept).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { importModel } from '../../main/core/model/import.js';
import type { EngineModel } from '../../main/engine/model-types.js';
import { native, type ConvertJob } from '../../main/engine/native.js';
import { mulberry32 } from '../helpers/random.js';

export function engineModel(file: string): EngineModel {
  const d = importModel(file);
  return { hparams: d.hparams, tensors: d.tensors };
}

export function calibrationTokens(model: EngineModel, count: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  return Int32Array.from({ length: count }, () => Math.floor(rand() * model.hparams.nVocab));
}

/** Jobs writing every 2-D tensor as `type` (F16 where its rows do not fit) into a new file of the right size. */
export function outputJobs(model: EngineModel, type: string): { path: string; jobs: ConvertJob[] } {
  const info = new Map(native().typeInfo().map((t) => [t.name, t]));
  let offset = 0;
  const jobs = model.tensors.map((t) => {
    const dst = t.ne.length < 2 ? 'F32' : t.ne[0] % info.get(type)!.blockSize === 0 ? type : 'F16';
    const nrows = t.ne.slice(1).reduce((a, b) => a * b, 1);
    const job: ConvertJob = { name: t.name, srcFile: t.file, srcOffset: t.offset, srcType: t.type, ne0: t.ne[0], nrows, dstType: dst, dstOffset: offset };
    const d = info.get(dst)!;
    offset += Math.ceil(((t.ne[0] / d.blockSize) * d.typeSize * nrows) / 32) * 32;
    return job;
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lowbit-native-')), 'out.gguf');
  fs.writeFileSync(file, Buffer.alloc(offset));
  return { path: file, jobs };
}
