// Quantize and dequantize throughput (MB/s of F32) per type, SIMD and reference paths, with
// memcpy bandwidth measured in the same run as the ceiling; quantize with an importance vector
// (llama.cpp's imatrix searches) on the first 256 rows. Writes test-artifacts/bench/formats.json.
// Target: Q8_0 and Q4_0 quantization at a third of memcpy bandwidth or better.
//
//   npm run bench:formats
import { native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { writeBenchResult } from './bench-util.js';

const ROW = 4096;
const ROWS = 2048; // 32 MiB of F32
const x = seededNormal(ROW * ROWS, 7);
const mb = (x.byteLength / 1e6);
const IMATRIX_ROWS = 256; // the importance searches are slower: 4 MiB is enough to time them
const xImatrix = x.subarray(0, ROW * IMATRIX_ROWS);
const importance = Float32Array.from(seededNormal(ROW, 8), (v) => Math.exp(v));

function rate(fn: () => void, megabytes = mb): number {
  fn();
  let runs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < 300 || runs < 2) {
    fn();
    runs++;
    elapsed = performance.now() - t0;
  }
  return (megabytes * runs) / (elapsed / 1000);
}

const src = Buffer.from(x.buffer);
const dst = Buffer.alloc(src.length);
const memcpy = rate(() => src.copy(dst));
const rows = [];
for (const t of native().typeInfo().filter((info) => info.codec)) {
  const measure = (level: 'scalar' | 'avx512') => {
    native().testing.setSimdLevel(level);
    const q = native().quantize(t.name, x, ROWS, ROW);
    return {
      quantizeMBps: rate(() => native().quantize(t.name, x, ROWS, ROW)),
      dequantizeMBps: rate(() => native().dequantize(t.name, q, ROW * ROWS)),
      quantizeImatrixMBps: t.quantized
        ? rate(() => native().quantize(t.name, xImatrix, IMATRIX_ROWS, ROW, importance), xImatrix.byteLength / 1e6)
        : null,
    };
  };
  const reference = measure('scalar');
  const simd = measure('avx512');
  rows.push({ type: t.name, reference, simd, simdLevel: native().simdLevel(), quantizeOverMemcpy: simd.quantizeMBps / memcpy });
  console.error(`${t.name.padEnd(7)} quantize ${reference.quantizeMBps.toFixed(0).padStart(6)} → ${simd.quantizeMBps.toFixed(0).padStart(6)} MB/s   dequantize ${reference.dequantizeMBps.toFixed(0).padStart(6)} → ${simd.dequantizeMBps.toFixed(0).padStart(6)} MB/s   imatrix quantize ${(reference.quantizeImatrixMBps?.toFixed(0) ?? '-').padStart(6)} → ${(simd.quantizeImatrixMBps?.toFixed(0) ?? '-').padStart(6)} MB/s`);
}
const q8 = rows.find((r) => r.type === 'Q8_0')!;
const q4 = rows.find((r) => r.type === 'Q4_0')!;
writeBenchResult('formats', {
  memcpyMBps: memcpy,
  singleThread: true,
  target: 'Q8_0 and Q4_0 quantization >= memcpy / 3',
  q8_0OverMemcpy: q8.quantizeOverMemcpy,
  q4_0OverMemcpy: q4.quantizeOverMemcpy,
  pass: q8.quantizeOverMemcpy >= 1 / 3 && q4.quantizeOverMemcpy >= 1 / 3,
  types: rows,
});
