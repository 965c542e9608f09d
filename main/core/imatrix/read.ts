// Reads llama.cpp's imatrix GGUF files (llama-imatrix output): per tensor, the importance of each
// input column is its Σx² divided by the tokens counted, as llama-quantize computes it; columns of
// experts that never saw a token get importance 1.
import { readGguf } from '../gguf/reader.js';
import { readTensorF32 } from '../gguf/tensor-data.js';

export interface Imatrix {
  path: string;
  /** per tensor name, one importance per input column (× experts) */
  entries: Map<string, Float32Array>;
  datasets: string[];
}

export function readImatrix(path: string): Imatrix {
  const f = readGguf(path);
  const type = f.kv.get('general.type')?.value;
  if (type !== 'imatrix') throw new Error(`${path}: not an imatrix file (general.type is ${JSON.stringify(type ?? null)})`);
  const entries = new Map<string, Float32Array>();
  for (const sumsInfo of f.tensors.filter((t) => t.name.endsWith('.in_sum2'))) {
    const name = sumsInfo.name.slice(0, -'.in_sum2'.length);
    const countsInfo = f.tensors.find((t) => t.name === `${name}.counts`);
    if (!countsInfo) throw new Error(`${path}: ${name} has sums but no counts`);
    const sums = readTensorF32(f, sumsInfo);
    const counts = readTensorF32(f, countsInfo);
    const perExpert = sumsInfo.ne[0];
    if (sums.length !== perExpert * counts.length) throw new Error(`${path}: ${name} has ${counts.length} counts for ${sums.length} sums`);
    const e = new Float32Array(sums.length);
    counts.forEach((c, j) => {
      for (let i = 0; i < perExpert; i++) e[j * perExpert + i] = c > 0 ? sums[j * perExpert + i] / c : 1;
    });
    for (const v of e) if (!Number.isFinite(v)) throw new Error(`${path}: ${name} contains a non-finite value`);
    entries.set(name, e);
  }
  const ds = f.kv.get('imatrix.datasets');
  return { path, entries, datasets: ds && Array.isArray(ds.value) ? (ds.value as string[]) : [] };
}
