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
  /** false for geometry-only entries: ggml types whose sizes the engine knows but which it cannot quantize or dequantize */
  codec: boolean;
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
}

/**
 * The GPTQ fields every GPTQ call takes (one parser in native/src/binding/gptq_options.cpp). A field
 * left out takes the engine's default, which gptqDefaults() reports.
 */
export interface NativeGptqFields {
  /** λ: λ·mean(diag H) is added to the diagonal, raised by 0.01 until the Cholesky succeeds */
  damp?: number;
  /** columns per lazy-update block (rounded to whole ggml blocks when needed) */
  blockSize?: number;
  /** block-respecting act-order: ggml blocks by summed diag(H), columns inside a block by diag(H) */
  actOrder?: boolean;
  /** k-quants: refit each sub-block's integer scale/min on the updated weights when the loop reaches it */
  subblockRefit?: boolean;
  /** QEP: W ← W + α·W·H_δ·(H + λ·mean(diag H)·I)⁻¹ before GPTQ */
  qepAlpha?: number;
  qepLambda?: number;
  threads?: number;
  /** compute the Hessian-weighted error of the result, and RTN + imatrix's for comparison (default true) */
  measure?: boolean;
}

/** The engine's GPTQ defaults (GptqOptions' member initialisers in native/include/lowbit/gptq.h). */
export interface NativeGptqDefaults {
  damp: number;
  blockSize: number;
  actOrder: boolean;
  /** the pipeline's QEP switch */
  qep: boolean;
  qepAlpha: number;
  qepLambda: number;
  subblockRefit: boolean;
}

export interface NativePipelineOptions extends NativeGptqFields {
  seqLen: number;
  threads: number;
  /** also run the original model and correct each layer for its quantized inputs (QEP; default false) */
  qep?: boolean;
}

export interface NativePipelineTensor {
  name: string;
  type: string;
  layer: number | null;
  /** false: rounded to nearest with diag(XᵀX) as importance (types without a GPTQ grid) */
  gptq: boolean;
  /** tr((W−Q)·H·(W−Q)ᵀ), H = (2/n)·Σxxᵀ over the calibration tokens */
  error: number | null;
  rtnError: number | null;
  damp: number;
  qepLambda: number;
  deadColumns: number;
  tokens: number;
  seconds: number;
}

/** The GPTQ fields apply with gptq: true (the pass always measures; QEP does not apply). */
export interface NativeSensitivityOptions extends Omit<NativeGptqFields, 'qepAlpha' | 'qepLambda' | 'measure'> {
  seqLen: number;
  threads: number;
  types: string[];
  /** measure GPTQ's error (types with a GPTQ grid) instead of round-to-nearest's */
  gptq?: boolean;
  /** > 0: on this many sequences, also the squared error reaching each block's output with only one tensor quantized */
  outputErrorSequences?: number;
}

export interface NativeSensitivityEntry {
  tensor: string;
  type: string;
  layer: number | null;
  bytes: number;
  /** tr((W−Q)·H·(W−Q)ᵀ), H = (2/n)·Σxxᵀ of the tensor's inputs (token_embd: one-hot token counts) */
  error: number;
  /** Σ‖block output − original‖² per token with only this tensor quantized (null: not measured) */
  outputError: number | null;
  tokens: number;
  gptq: boolean;
}

export interface NativePipelineResult {
  /** the GPTQ options the engine ran with, as it parsed them */
  options: NativeGptqDefaults;
  tokens: number;
  sequences: number;
  tensors: NativePipelineTensor[];
}

/** A long native job: settle the promise, or cancel() to make it reject with "cancelled". */
export interface NativeJob<T> {
  promise: Promise<T>;
  cancel(): void;
}

/**
 * The job's result, cancelling the job when `signal` aborts. A failure after an abort is replaced by
 * `cancelled()` when given (the native side reports a cancel as a plain "cancelled" error).
 */
export async function awaitJob<T>(job: NativeJob<T>, signal: AbortSignal | undefined, cancelled?: () => Error): Promise<T> {
  const onAbort = () => job.cancel();
  signal?.addEventListener('abort', onAbort);
  try {
    return await job.promise;
  } catch (e) {
    if (cancelled && signal?.aborted) throw cancelled();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** An opaque handle to a model whose weights the engine has memory-mapped. */
export type ModelHandle = { readonly __modelHandle: unique symbol };

export interface NativeEvalResult {
  nll: number;
  /** Σ nll² over scored positions */
  nll2: number;
  count: number;
  chunks: number;
  seconds: number;
  kl?: number;
  /** Σ kl² over scored positions */
  kl2?: number;
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

export interface NativeGptqOptions extends NativeGptqFields {
  /** ggml type name; the types with a GPTQ grid: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL MXFP4 Q2_K..Q6_K IQ4_XS */
  type: string;
  /** rows × cols, row-major; cols is ne0, the input dimension along which ggml blocks run */
  weights: Float32Array;
  rows: number;
  cols: number;
  /** cols × cols, symmetric: XᵀX (give samples to have it used as (2/samples)·XᵀX) or already normalised */
  hessian: Float64Array;
  samples?: number;
  /** QEP's H_δ (cols × cols); α and λ are qepAlpha and qepLambda */
  qep?: { hdelta: Float64Array };
}

export interface NativeGptqResult {
  data: Uint8Array;
  /** tr((W−Q)H(W−Q)ᵀ) of the result, W as given (before QEP); null when measure is false */
  error: number | null;
  /** the same for llama.cpp's quantizer with importance diag(H) (RTN + imatrix) */
  rtnError: number | null;
  /** λ used */
  damp: number;
  /** λ used by QEP (0 without) */
  qepLambda: number;
  deadColumns: number;
  /** k-quant sub-block scales refitted on updated weights */
  refits: number;
  /** GPTQ time without the error measurement, of which factorSeconds (Cholesky) and updateSeconds (GEMM) */
  seconds: number;
  factorSeconds: number;
  updateSeconds: number;
}

/** Whether the engine links native/src/cuda (LOWBIT_CUDA=ON builds) and which device the CUDA runtime finds. */
export interface CudaInfo {
  built: boolean;
  devices: number;
  device?: string;
  error?: string;
}

/** Hooks for tests and benchmarks (the addon's `testing` export); no product code calls them. */
export interface NativeTestingBinding {
  /** C = c + alpha·A·B (f32), against the triple loop with reference: true */
  linalgSgemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, o?: { reference?: boolean; threads?: number; alpha?: number; c?: Float32Array }): Float32Array;
  /** A·Bᵀ (fp64) */
  linalgDgemmNt(a: Float64Array, b: Float64Array, m: number, n: number, k: number, o?: { reference?: boolean; threads?: number; lower?: boolean }): Float64Array;
  /** factorisations of H + shift·I; null when not positive definite */
  linalgFactor(h: Float64Array, n: number, kind: 'cholesky' | 'upperInverse' | 'inverse', shift?: number, threads?: number): Float64Array | null;
  /** GFLOP/s of one of the linalg kernels on preallocated operands (median of runs) */
  linalgRate(kind: 'sgemm' | 'dgemmNt' | 'syrk', m: number, n: number, k: number, threads?: number, runs?: number): number;
  /** one block through a GPTQ codec: fitted on fitValues, each element projected from targets */
  gptqCodecProbe(type: string, fitValues: Float32Array, importance: Float32Array, targets: Float32Array, refit: boolean): { data: Uint8Array; codes: Int32Array; values: Float32Array; refitted: number };
  /** forces a SIMD path; returns the level in force, lower than asked when the CPU lacks it */
  setSimdLevel(level: SimdLevelName): SimdLevelName;
}

/** Paths under development that no product call uses (the addon's `experimental` export). */
export interface NativeExperimentalBinding {
  /**
   * GPTQ on the CUDA device for Q4_0 / Q8_0 (sync; throws without a LOWBIT_CUDA=ON build or a device).
   * Experimental and GPU-only: `--method gptq` runs the CPU GPTQ (quantizeSequential), never this.
   */
  cudaGptq(o: { type: 'Q4_0' | 'Q8_0'; weights: Float32Array; rows: number; cols: number; hessian: Float64Array; damp?: number }): { data: Uint8Array; seconds: number; factorSeconds: number; updateSeconds: number };
}

export interface NativeBinding {
  /** per tensor × candidate type, the Hessian-weighted error, in one block-by-block pass (see native/include/lowbit/sensitivity.h) */
  sensitivity(model: ModelHandle, tokens: Int32Array, options: NativeSensitivityOptions, onProgress?: (done: number, total: number) => void): NativeJob<NativeSensitivityEntry[]>;
  /** block-by-block calibration and quantization of the model into the output file's tensors (see native/include/lowbit/pipeline.h) */
  quantizeSequential(model: ModelHandle, tokens: Int32Array, jobs: ConvertJob[], outPath: string, options: NativePipelineOptions, onProgress?: (done: number, total: number) => void): NativeJob<NativePipelineResult>;
  gptqQuantize(o: NativeGptqOptions): NativeGptqResult;
  /** the values GPTQ uses for the fields a call leaves out */
  gptqDefaults(): NativeGptqDefaults;
  /** whether the engine links the CUDA kernels (LOWBIT_CUDA=ON builds) and the device the CUDA runtime finds */
  cudaInfo(): CudaInfo;
  gptqQuantizeAsync(o: NativeGptqOptions, onProgress?: (columnsDone: number, columns: number) => void): NativeJob<NativeGptqResult>;
  /** tr((W−Q)H(W−Q)ᵀ) of quantized bytes Q */
  weightedError(type: string, weights: Float32Array, rows: number, cols: number, hessian: Float64Array, data: Uint8Array, threads?: number): number;
  /** h (cols × cols) += xᵀx for rows × cols activations, in fp64; returns rows (keep the running count) */
  hessianAccumulate(h: Float64Array, x: Float32Array, rows: number, cols: number, threads?: number): number;
  imatrix(model: ModelHandle, tokens: Int32Array, options: Omit<NativeEvalOptions, 'reference'>, onProgress?: (done: number, total: number) => void): NativeJob<NativeImatrixResult>;
  openModel(description: { hparams: object; tensors: object[] }): ModelHandle;
  closeModel(model: ModelHandle): void;
  logits(model: ModelHandle, tokens: Int32Array, threads: number): Float32Array;
  evaluate(model: ModelHandle, tokens: Int32Array, options: NativeEvalOptions, onProgress?: (done: number, total: number) => void): NativeJob<NativeEvalResult>;
  convertTensors(outPath: string, jobs: ConvertJob[], options: { threads: number }, onProgress?: (done: number, total: number) => void): NativeJob<void>;
  /** every ggml type the engine knows, in id order; codec: false for the geometry-only ones */
  typeInfo(): NativeTypeInfo[];
  quantize(type: string, src: Float32Array, nrows: number, nPerRow: number, importance?: Float32Array | null): Uint8Array;
  dequantize(type: string, src: Uint8Array, n: number): Float32Array;
  simdLevel(): SimdLevelName;
  testing: NativeTestingBinding;
  experimental: NativeExperimentalBinding;
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
