// GPU backends next to the CPU in one run: the evaluation product (Y = X·Wᵀ over Q4_0 / Q8_0 weights),
// XᵀX accumulation (GPTQ Hessians) and GPTQ itself, on every backend available, with CPU/backend ratios.
//   node --import tsx test/bench/gpu.bench.ts [--quick | --large] [--threads N]
// (SwiftShader is slow: the default sizes take about a minute there, --large about four.)
// CPU references: the evaluation product is native dequantize + our f32 GEMM (linalgSgemm), XᵀX is
// native hessianAccumulate (fp64), GPTQ is native gptqQuantize. WebGPU runs wherever Dawn finds an
// adapter (SwiftShader here: a CPU emulation, so ratios below 1 are expected); CUDA is reported unavailable
// while its kernels are not linked into the engine (native/src/cuda has lowbit-cuda-selftest for a GPU machine).
import os from 'node:os';

import { chooseBackend } from '../../main/engine/backend.js';
import { native } from '../../main/engine/native.js';
import { shaderType, webgpuKernels, type GpuKernels } from '../../main/engine/webgpu/index.js';
import { seededNormal } from '../helpers/random.js';
import { writeBenchResult } from './bench-util.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const large = args.includes('--large');
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : os.availableParallelism();
const n = native();

async function median(fn: () => Promise<void> | void, runs: number): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push((performance.now() - s) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

let kernels: GpuKernels | undefined;
const webgpu = await chooseBackend('webgpu', 'calibration', webgpuKernels);
kernels = webgpu.kernels;
const cuda = await chooseBackend('cuda', 'calibration');
const runs = quick || !large ? 2 : 3;

interface Row {
  workload: string;
  shape: string;
  cpuSeconds: number;
  webgpuSeconds: number | null;
  /** CPU seconds / WebGPU seconds (> 1: WebGPU faster) */
  webgpuSpeedup: number | null;
  cudaSeconds: null;
  note?: string;
}
const rows: Row[] = [];
const row = (workload: string, shape: string, cpu: number, gpu: number | null, note?: string): void => {
  rows.push({ workload, shape, cpuSeconds: cpu, webgpuSeconds: gpu, webgpuSpeedup: gpu ? cpu / gpu : null, cudaSeconds: null, ...(note ? { note } : {}) });
  console.error(`${workload} ${shape}: cpu ${cpu.toFixed(4)} s, webgpu ${gpu === null ? 'n/a' : `${gpu.toFixed(4)} s (×${(cpu / gpu).toFixed(3)})`}`);
};

// evaluation product
const [mmRows, mmCols, mmTokens] = quick ? [256, 512, 16] : large ? [2048, 2048, 64] : [1024, 1024, 32];
for (const type of ['Q4_0', 'Q8_0']) {
  const w = seededNormal(mmRows * mmCols, 3);
  const q = n.quantize(type, w, mmRows, mmCols);
  const x = seededNormal(mmTokens * mmCols, 4);
  const cpu = await median(() => {
    const wd = n.dequantize(type, q, mmRows * mmCols);
    const wt = new Float32Array(mmCols * mmRows);
    for (let r = 0; r < mmRows; r++) for (let c = 0; c < mmCols; c++) wt[c * mmRows + r] = wd[r * mmCols + c];
    n.linalgSgemm(x, wt, mmTokens, mmRows, mmCols, { threads });
  }, runs);
  let gpu: number | null = null;
  if (kernels) {
    const m = await kernels.matmulPrepare(shaderType(type), q, mmRows, mmCols);
    gpu = await median(async () => void (await m.run(x, mmTokens)), runs);
    m.release();
  }
  row(`evaluation product ${type}`, `${mmTokens} tokens × ${mmRows}×${mmCols}`, cpu, gpu, 'CPU: dequantize + f32 GEMM; WebGPU: fused dequantize-matmul, W uploaded once, X upload and Y readback timed');
}

// XᵀX accumulation
const [hTokens, hCols] = quick ? [128, 256] : large ? [512, 1024] : [256, 512];
{
  const x = seededNormal(hTokens * hCols, 5);
  const cpu = await median(() => void n.hessianAccumulate(new Float64Array(hCols * hCols), x, hTokens, hCols, threads), runs);
  const gpu = kernels ? await median(async () => void (await kernels!.xtxAccumulate(new Float64Array(hCols * hCols), x, hTokens, hCols)), runs) : null;
  row('XᵀX accumulation', `${hTokens} tokens × ${hCols}`, cpu, gpu, 'CPU fp64; WebGPU f32 per 256-token slice, fp64 on the host');
}

// GPTQ (CPU only: no WGSL GPTQ; the CUDA one is not linked)
const g = quick ? 512 : large ? 2048 : 1024;
{
  const w = seededNormal(g * g, 6);
  const x = seededNormal(2 * g * g, 7);
  const h = new Float64Array(g * g);
  n.hessianAccumulate(h, x, 2 * g, g, threads);
  const cpu = await median(() => void n.gptqQuantize({ type: 'Q4_0', weights: w, rows: g, cols: g, hessian: h, samples: 2 * g, threads, measure: false }), runs);
  row('GPTQ Q4_0', `${g}×${g}`, cpu, null, 'no WebGPU GPTQ; CUDA GPTQ (native/src/cuda/gptq.cu) is compile-only here');
}

writeBenchResult('gpu', {
  threads,
  cpus: os.cpus()[0]?.model,
  backends: {
    cpu: 'native engine',
    webgpu: kernels ? { adapter: kernels.runner.gpu.adapterName, software: kernels.runner.gpu.software } : { unavailable: webgpu.message },
    cuda: { unavailable: cuda.message },
  },
  targets: {
    note: 'H100 targets (GPTQ 4096×4096 < 0.2 s, 1B Q4_0 evaluation > 20,000 tokens/s) need the CUDA backend on a GPU machine: run native/build/cuda/lowbit-cuda-selftest there',
  },
  results: rows,
});
process.exit(0);
