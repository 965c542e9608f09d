// Typed face of the native engine (native/src/binding). Loaded once, lazily.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeTypeInfo {
  id: number;
  name: string;
  blockSize: number;
  typeSize: number;
  quantized: boolean;
  simdQuantize: boolean;
  simdDequantize: boolean;
}

export type SimdLevelName = 'scalar' | 'avx2' | 'avx512';

export interface ConvertJob {
  name: string;
  srcFile: string;
  srcOffset: number;
  srcType: string;
  ne0: number;
  nrows: number;
  dstType: string;
  dstOffset: number;
  importance?: Float32Array;
  /** for each output row, the source row it takes (row permutations on export) */
  rowOrder?: Int32Array;
  /** ne0 × ne0 XᵀX of the calibration inputs: quantize with GPTQ */
  hessian?: Float64Array;
  damp?: number;
}

/** A long native job: settle the promise, or cancel() to make it reject with "cancelled". */
export interface NativeJob<T> {
  promise: Promise<T>;
  cancel(): void;
}

/** An opaque handle to a model whose weights the engine has memory-mapped. */
export type ModelHandle = { readonly __modelHandle: unique symbol };

export interface NativeEvalResult {
  nll: number;
  count: number;
  chunks: number;
  seconds: number;
  kl?: number;
  top1?: number;
  refNll?: number;
}

export interface NativeEvalOptions {
  nCtx: number;
  threads: number;
  bos: number;
  addBos: boolean;
  reference?: ModelHandle;
}

export interface NativeImatrixResult {
  tokens: number;
  chunks: number;
  /** per weight name, Σ x² of each input column */
  sums: Record<string, Float64Array>;
}

export interface NativeGptqResult {
  data: Uint8Array;
  damp: number;
  deadColumns: number;
}

export interface NativeHessians {
  tokens: number;
  /** per weight name, XᵀX of its inputs (ne0 × ne0) */
  xtx: Record<string, Float64Array>;
}

export interface NativeBinding {
  hessians(model: ModelHandle, tokens: Int32Array, options: { seqLen: number; threads: number }, onProgress?: (done: number, total: number) => void): NativeJob<NativeHessians>;
  gptqQuantize(o: { type: string; weights: Float32Array; rows: number; cols: number; hessian: Float64Array; blockSize?: number; damp?: number; threads?: number }): NativeGptqResult;
  hessianError(type: string, weights: Float32Array, rows: number, cols: number, hessian: Float64Array, data: Uint8Array): number;
  imatrix(model: ModelHandle, tokens: Int32Array, options: Omit<NativeEvalOptions, 'reference'>, onProgress?: (done: number, total: number) => void): NativeJob<NativeImatrixResult>;
  openModel(description: { hparams: object; tensors: object[] }): ModelHandle;
  closeModel(model: ModelHandle): void;
  logits(model: ModelHandle, tokens: Int32Array, threads: number): Float32Array;
  evaluate(model: ModelHandle, tokens: Int32Array, options: NativeEvalOptions, onProgress?: (done: number, total: number) => void): NativeJob<NativeEvalResult>;
  convertTensors(outPath: string, jobs: ConvertJob[], options: { threads: number }, onProgress?: (done: number, total: number) => void): NativeJob<void>;
  typeInfo(): NativeTypeInfo[];
  quantize(type: string, src: Float32Array, nrows: number, nPerRow: number, importance?: Float32Array | null): Uint8Array;
  dequantize(type: string, src: Uint8Array, n: number): Float32Array;
  simdLevel(): SimdLevelName;
  setSimdLevel(level: SimdLevelName): SimdLevelName;
}

let cached: NativeBinding | undefined;
const requireNative = createRequire(import.meta.url);

// The source (main/engine) and the build (dist/main/engine) both find the addon by walking up
// to the directory that holds native/build.
function addonPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'native', 'build', 'Release', 'lowbit.node');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('the native engine is not built: run `npm install` (or `npm run build:native`)');
}

export function native(): NativeBinding {
  cached ??= requireNative(addonPath()) as NativeBinding;
  return cached;
}
