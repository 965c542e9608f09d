// GPTQ throughput on LLaMA-7B-sized layers next to the GEMM it is built on, measured in the same run.
//   node --import tsx test/bench/gptq.bench.ts [--quick] [--shapes 4096x4096,4096x11008] [--types Q4_0,Q4_K] [--runs 3]
// GPTQ work is counted as the reference algorithm's: rows·cols² (column j updates the cols − j columns
// after it in every row: a multiply and an add each) + (2/3)·cols³ (the Cholesky and the triangular
// inverse that give chol(H⁻¹)). Ours factors without the inverse (gptq.cpp), so it does (1/3)·cols³
// less than it is credited with: the rate is the reference's work per our second. The GEMM rate is
// our f32 GEMM on the lazy-update shape (rows × cols × the lazy block, the engine's default blockSize). The fp64
// A·Bᵀ rate (Cholesky, Hessian) and the load average are printed too: on a shared box they explain a lot.
import os from 'node:os';

import { native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { writeBenchResult } from './bench-util.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const shapes = opt('--shapes', quick ? '1024x1024' : '4096x4096,4096x11008').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const types = opt('--types', 'Q4_0,Q4_K').split(',');
const threads = Number(opt('--threads', String(os.availableParallelism())));
const tokens = Number(opt('--tokens', '1024'));
const runs = Number(opt('--runs', '3'));
const blockSize = native().gptqDefaults().blockSize;
const n = native();

/** Correlated synthetic activations: a rank-16 shared part plus noise, column scales spread over 10×. */
function activations(rows: number, cols: number, seed: number): Float32Array {
  const rank = 16;
  const z = seededNormal(rows * rank, seed);
  const mix = seededNormal(rank * cols, seed + 1);
  const x = seededNormal(rows * cols, seed + 2);
  for (let i = 0; i < x.length; i++) x[i] *= 0.5;
  const out = n.testing.linalgSgemm(z, mix, rows, cols, rank, { c: x, threads });
  for (let j = 0; j < cols; j++) {
    const s = 0.3 + 3 * ((j * 2654435761) % 1000) / 1000;
    for (let t = 0; t < rows; t++) out[t * cols + j] *= s;
  }
  return out;
}


const results: object[] = [];
for (const [rows, cols] of shapes) {
  // our GEMM on the lazy-update shape, preallocated operands, median of 3; measured again after each
  // GPTQ run and averaged with the previous reading, since the machine's load drifts
  let gemmBefore = n.testing.linalgRate('sgemm', rows, cols, blockSize, threads, 3);
  const dgemmGflops = n.testing.linalgRate('dgemmNt', 2048, 2048, 256, threads, 3);
  const X = activations(tokens, cols, 7);
  const H = new Float64Array(cols * cols);
  let t = performance.now();
  n.hessianAccumulate(H, X, tokens, cols, threads);
  const hessianSeconds = (performance.now() - t) / 1000;
  const W = seededNormal(rows * cols, 11);
  for (const type of types) {
    // the median of `runs` runs, as for the GEMM; the first run of a process also pays for first
    // touching its scratch memory, so it is reported too
    const timed = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const g = n.gptqQuantize({ type, weights: W, rows, cols, hessian: H, samples: tokens, threads, measure: false, blockSize });
      timed.push({ g, wall: (performance.now() - t) / 1000 });
    }
    const firstSeconds = timed[0].g.seconds;
    timed.sort((a, b) => a.g.seconds - b.g.seconds);
    const { g, wall } = timed[Math.floor(timed.length / 2)];
    const gemmAfter = n.testing.linalgRate('sgemm', rows, cols, blockSize, threads, 3);
    const gemmGflops = (gemmBefore + gemmAfter) / 2;
    gemmBefore = gemmAfter;
    const flops = rows * cols * cols + (2 / 3) * cols ** 3;
    const gptqGflops = flops / g.seconds / 1e9;
    const r = {
      shape: `${rows}x${cols}`, type, threads, tokens,
      runs, gptqSeconds: +g.seconds.toFixed(3), firstRunSeconds: +firstSeconds.toFixed(3), factorSeconds: +g.factorSeconds.toFixed(3), updateSeconds: +g.updateSeconds.toFixed(3),
      wallSeconds: +wall.toFixed(3), damp: g.damp, refits: g.refits,
      gptqGflops: +gptqGflops.toFixed(2), gemmGflops: +gemmGflops.toFixed(2), ratio: +(gptqGflops / gemmGflops).toFixed(3),
      fp64GemmGflops: +dgemmGflops.toFixed(2), loadavg: os.loadavg()[0].toFixed(2),
      hessianSeconds: +hessianSeconds.toFixed(3), hessianGflops: +((tokens * cols * cols) / hessianSeconds / 1e9).toFixed(2),
    };
    console.log(JSON.stringify(r));
    results.push(r);
  }
}
writeBenchResult('gptq', { cpu: os.cpus()[0]?.model, simd: n.simdLevel(), results });
