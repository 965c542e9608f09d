// Importance matrices from our own forward pass, in llama-imatrix's protocol (chunks of n_ctx
// tokens, first token BOS, every token counted) and file format.
import path from 'node:path';

import { type BackendChoice, chooseBackend } from '../../engine/backends/choose.js';
import { CancelledError, throwIfCancelled } from '../../engine/cancelled.js';
import { openModel } from '../../engine/evaluate.js';
import { awaitJob, native } from '../../engine/native.js';
import { GpuForward, type LinearInputTap } from '../../engine/webgpu/forward.js';
import type { GpuKernels } from '../../engine/webgpu/index.js';
import { ImatrixEntry, writeImatrix } from '../imatrix/write.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { tokenizerForModel } from '../tokenizer/for-model.js';
import { TextSource, describeTextSource, loadText } from './text-source.js';

export interface ImatrixRequest {
  model: string;
  text: TextSource;
  nCtx: number;
  threads: number;
  out?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** where the forward pass runs and the Σx² are summed (default cpu) */
  backend?: BackendChoice;
  /** the backend in use, and why when it fell back to the CPU */
  onNotice?: (message: string) => void;
}

export interface ImatrixReport {
  /** the backend that summed the statistics */
  backend: 'cpu' | 'webgpu';
  entries: Map<string, ImatrixEntry>;
  tokens: number;
  chunks: number;
  textSha256: string;
}

export async function computeImatrix(req: ImatrixRequest): Promise<ImatrixReport> {
  const desc = importModel(req.model);
  const tok = tokenizerForModel(desc);
  const text = loadText(req.text);
  const tokens = Int32Array.from(tok.encode(text.text));
  const handle = openModel(desc);
  try {
    const opts = { nCtx: req.nCtx, threads: req.threads, bos: tok.bos ?? -1, addBos: tok.addBos };
    const selection = await chooseBackend(req.backend ?? 'cpu', 'calibration');
    req.onNotice?.(selection.message);
    let r: SquareSums | undefined;
    if (selection.kernels) {
      try {
        r = await gpuSquareSums(selection.kernels, desc, tokens, opts, req);
      } catch (e) {
        if (req.signal?.aborted) throw e;
        req.onNotice?.(`webgpu failed (${(e as Error).message}); falling back to the CPU`);
      }
    }
    const backend = r ? 'webgpu' : 'cpu';
    if (!r) {
      r = await awaitJob(native().imatrix(handle, tokens, opts, req.onProgress), req.signal, () => new CancelledError());
    }
    const entries = new Map<string, ImatrixEntry>();
    for (const [name, sums] of Object.entries(r.sums)) entries.set(name, { sums: Float32Array.from(sums), counts: [r.tokens] });
    if (req.out)
      await writeImatrix(req.out, entries, { datasets: [path.basename(describeTextSource(req.text))], chunkCount: r.chunks, chunkSize: req.nCtx });
    return { backend, entries, tokens: r.tokens, chunks: r.chunks, textSha256: text.sha256 };
  } finally {
    native().closeModel(handle);
  }
}

interface SquareSums {
  tokens: number;
  chunks: number;
  sums: Record<string, Float64Array>;
}

/** The native imatrix protocol on the GPU: per chunk, the forward pass runs there, and so do the
 *  sums of each linear layer's squared input columns (f32 per chunk, fp64 across chunks). */
async function gpuSquareSums(
  kernels: GpuKernels, desc: ModelDescription, tokens: Int32Array,
  o: { nCtx: number; bos: number; addBos: boolean }, req: ImatrixRequest,
): Promise<SquareSums> {
  const nChunk = Math.floor(tokens.length / o.nCtx);
  if (o.nCtx < 2 || nChunk < 1) {
    throw new Error(`the calibration text has ${tokens.length} tokens, fewer than one context of ${o.nCtx}`);
  }
  const hp = desc.hparams;
  const statsFloats = hp.nLayer * (2 * hp.nEmbd + hp.nHead * hp.headDim + hp.nFf);
  const r = kernels.runner;
  const fwd = await GpuForward.load(kernels, desc);
  const stats = r.storage(statsFloats * 4);
  try {
    const squareSums = await kernels.squareSums();
    const inputs: { names: string[]; offset: number; dim: number }[] = [];
    const sums: Record<string, Float64Array> = {};
    const checkCancel = () => throwIfCancelled(req.signal);
    for (let c = 0; c < nChunk; c++) {
      checkCancel();
      const batch = tokens.slice(c * o.nCtx, (c + 1) * o.nCtx);
      if (o.addBos && o.bos >= 0) batch[0] = o.bos;
      let offset = 0;
      const tap: LinearInputTap = (enc, names, x, rows, dim) => {
        if (c === 0) inputs.push({ names, offset, dim });
        offset += dim;
        return squareSums(enc, x, rows, dim, stats, offset - dim);
      };
      await fwd.forward(batch, batch.length, checkCancel, tap);
      const data = new Float32Array(await r.readback(r.device.createCommandEncoder(), stats, statsFloats * 4));
      for (const { names, offset: at, dim } of inputs) {
        const s = (sums[names[0]] ??= new Float64Array(dim));
        for (let i = 0; i < dim; i++) s[i] += data[at + i];
      }
      req.onProgress?.(c + 1, nChunk);
      await new Promise((resolve) => setImmediate(resolve));  // let a cancel signal arrive between chunks
    }
    for (const { names } of inputs) for (const n of names.slice(1)) sums[n] = sums[names[0]];
    return { tokens: nChunk * o.nCtx, chunks: nChunk, sums };
  } finally {
    fwd.release();
    stats.destroy();
  }
}
