// Importance matrices from our own forward pass, in llama-imatrix's protocol (chunks of n_ctx
// tokens, first token BOS, every token counted) and file format.
import path from 'node:path';

import { openModel } from '../../engine/evaluate.js';
import { native } from '../../engine/native.js';
import { ImatrixEntry, writeImatrix } from '../imatrix-writer.js';
import { importModel } from '../model/import.js';
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
}

export interface ImatrixReport {
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
    const job = native().imatrix(handle, tokens, { nCtx: req.nCtx, threads: req.threads, bos: tok.bos ?? -1, addBos: tok.addBos }, req.onProgress);
    const onAbort = () => job.cancel();
    req.signal?.addEventListener('abort', onAbort);
    const r = await job.promise.finally(() => req.signal?.removeEventListener('abort', onAbort));
    const entries = new Map<string, ImatrixEntry>();
    for (const [name, sums] of Object.entries(r.sums)) entries.set(name, { sums: Float32Array.from(sums), counts: [r.tokens] });
    if (req.out)
      await writeImatrix(req.out, entries, { datasets: [path.basename(describeTextSource(req.text))], chunkCount: r.chunks, chunkSize: req.nCtx });
    return { entries, tokens: r.tokens, chunks: r.chunks, textSha256: text.sha256 };
  } finally {
    native().closeModel(handle);
  }
}
