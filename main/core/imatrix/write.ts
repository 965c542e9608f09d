// Writes importance matrices in llama.cpp's imatrix GGUF format (what llama-imatrix produces and
// llama-quantize --imatrix reads): per tensor `<name>.in_sum2` (Σx² per input column, F32) and
// `<name>.counts` (tokens seen, F32), with general.type = "imatrix".
import { ggmlTypeByName } from '../gguf/ggml-types.js';
import { GgufKv } from '../gguf/gguf-values.js';
import { kv, writeGgufFile } from '../gguf/writer.js';

export interface ImatrixEntry {
  /** Σ x_j² over the calibration tokens, one value per input column (per expert, row-major, for MoE) */
  sums: Float32Array;
  /** tokens that reached the tensor (one per expert for MoE) */
  counts: number[];
}

export interface ImatrixInfo {
  datasets: string[];
  chunkCount: number;
  chunkSize: number;
}

export async function writeImatrix(path: string, entries: Map<string, ImatrixEntry>, info: ImatrixInfo): Promise<void> {
  const meta = new Map<string, GgufKv>([
    ['general.type', kv.str('imatrix')],
    ['imatrix.datasets', kv.strs(info.datasets)],
    ['imatrix.chunk_count', kv.u32(info.chunkCount)],
    ['imatrix.chunk_size', kv.u32(info.chunkSize)],
  ]);
  const f32 = ggmlTypeByName('F32')!;
  const tensors = [...entries.keys()].sort().flatMap((name) => {
    const e = entries.get(name)!;
    const nExpert = e.counts.length;
    if (nExpert < 1 || e.sums.length % nExpert !== 0) throw new Error(`imatrix entry ${name}: ${e.sums.length} sums for ${nExpert} experts`);
    const perExpert = e.sums.length / nExpert;
    return [
      { name: `${name}.in_sum2`, type: f32, ne: nExpert > 1 ? [perExpert, nExpert] : [perExpert], data: new Uint8Array(e.sums.buffer, e.sums.byteOffset, e.sums.byteLength) },
      { name: `${name}.counts`, type: f32, ne: [nExpert], data: new Uint8Array(new Float32Array(e.counts).buffer) },
    ];
  });
  await writeGgufFile(path, meta, tensors);
}
