// Streams a model into a new GGUF file: the header is laid out first, then the native engine
// converts each tensor chunk by chunk straight from the source file into the temp file, which is
// fsynced and renamed only when complete. Cancel or failure leaves nothing under the final name.
import fs from 'node:fs';

import { CancelledError } from '../../engine/cancelled.js';
import { awaitJob, ConvertJob, NativeJob, native } from '../../engine/native.js';
import { ggmlTypeByName } from '../gguf/ggml-types.js';
import type { GgufKv } from '../gguf/gguf-values.js';
import { PlannedTensor, layoutGguf, writeAll, writeAtomically } from '../gguf/writer.js';
import type { TensorRef } from '../model/types.js';

export interface ExportTensor {
  /** name in the output file */
  name: string;
  /** target ggml type */
  type: string;
  source: TensorRef;
  /** output shape when it differs from the source's */
  ne?: number[];
  importance?: Float32Array;
  rowOrder?: Int32Array;
}

/** Writes the tensors' data into the laid-out temp file (default: the native streaming converter). */
export type TensorWriter<T> = (tempPath: string, jobs: ConvertJob[], onProgress?: (done: number, total: number) => void) => NativeJob<T>;

export interface ExportOptions<T = void> {
  outPath: string;
  metadata: Map<string, GgufKv>;
  tensors: ExportTensor[];
  threads?: number;
  alignment?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  writer?: TensorWriter<T>;
}

export interface ExportResult<T = void> {
  path: string;
  bytes: number;
  tensors: Array<{ name: string; type: string; ne: number[]; nbytes: number }>;
  /** what the writer returned */
  written: T;
}

const cancelled = (path: string) => new CancelledError(`cancelled: nothing was written to ${path}`);

export async function exportGguf<T = void>(o: ExportOptions<T>): Promise<ExportResult<T>> {
  const planned: PlannedTensor[] = o.tensors.map((t) => {
    const type = ggmlTypeByName(t.type);
    if (!type) throw new Error(`tensor ${t.name}: unknown type ${t.type}`);
    return { name: t.name, type, ne: t.ne ?? t.source.ne };
  });
  const layout = layoutGguf(o.metadata, planned, o.alignment ?? 32);
  if (o.signal?.aborted) throw cancelled(o.outPath);
  const writer = o.writer ?? ((tempPath, jobs, onProgress) => native().convertTensors(tempPath, jobs, { threads: o.threads ?? 1 }, onProgress) as NativeJob<T>);
  let written: T | undefined;
  try {
    await writeAtomically(o.outPath, async (fd, tempPath) => {
      writeAll(fd, layout.header, 0);
      fs.ftruncateSync(fd, layout.fileSize); // the padding between tensors reads as zeros
      const jobs = o.tensors.map((t, i) => ({
        name: t.name,
        srcFile: t.source.file,
        srcOffset: t.source.offset,
        srcType: t.source.type,
        ne0: t.source.ne[0],
        nrows: t.source.ne.slice(1).reduce((a, b) => a * b, 1),
        dstType: t.type,
        dstOffset: layout.offsets[i],
        importance: t.importance,
        rowOrder: t.rowOrder,
      }));
      written = await awaitJob(writer(tempPath, jobs, o.onProgress), o.signal);
      // a cancel that arrived as the last chunk finished still means "no file"
      if (o.signal?.aborted) throw cancelled(o.outPath);
    });
  } catch (e) {
    if (o.signal?.aborted) throw cancelled(o.outPath);
    throw e;
  }
  return {
    path: o.outPath,
    bytes: layout.fileSize,
    tensors: planned.map((t, i) => ({ name: t.name, type: t.type.name, ne: t.ne, nbytes: layout.nbytes[i] })),
    written: written as T,
  };
}
