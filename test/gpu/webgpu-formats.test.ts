// The WGSL dequantizers and round-to-nearest quantizers against the C++ reference: bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { DEQUANT_TYPES, QUANT_TYPES, shaderType } from '../../main/engine/webgpu/index.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';

const { kernels, skip } = await gpuKernelsOrSkip();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Index of the first element whose f32 bits differ (NaNs of any payload count as equal), or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

/** Values that exercise the quantizers' edges, one 32-element block (or 256-element run) per case. */
function edgeRows(n: number, r: () => number): Float32Array {
  const x = new Float32Array(n);
  const pattern = (i: number): number => {
    const blk = Math.floor(i / 32) % 14;
    const j = i % 32;
    switch (blk) {
      case 0: return 0;                                   // all-zero block
      case 1: return j % 2 ? -0 : 0;                      // signed zeros
      case 2: return (j - 16) * 1e-40;                    // f32 subnormals: 1/d overflows
      case 3: return (j - 16) * 3e-8;                     // d an fp16 subnormal
      case 4: return (j - 15.5) * 4096;                   // past fp16 range after scaling
      case 5: return j === 7 ? -70000 : r() - 0.5;        // one outlier beyond fp16 max
      case 6: return (j - 16) / 2;                        // exact halves: rounding ties
      case 7: return 5;                                   // constant block (max == min)
      case 8: return j === 0 ? -8 : j === 1 ? 8 : 0;      // equal magnitudes, the first wins
      case 9: return (r() - 0.5) * 1e-5;
      case 10: return Math.fround((r() - 0.5) * 2 ** (r() * 40 - 20));
      case 11: return (j - 16) * 1e-37;                   // tiny normals: d subnormal, 1/d finite
      case 12: return j < 16 ? (j - 8) * 1e-39 : (j - 24) * 2e-38; // subnormals mixed with tiny normals
      default: return (r() - 0.5) * 2;
    }
  };
  for (let i = 0; i < n; i++) x[i] = pattern(i);
  return x;
}

/** Standard normal values (Box–Muller on r). */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Whole 256-element runs (one k-quant super-block, eight 32-blocks) of one kind each: the searches'
 * edges over rows a model could have and some it could not.
 */
function superBlockRows(nblocks: number, r: () => number): Float32Array {
  const x = new Float32Array(nblocks * 256);
  const kinds: ((j: number) => number)[] = [
    () => 0,                                                       // all zero
    () => 0.75,                                                    // constant
    () => -3,                                                      // constant, negative
    () => normal(r),                                               // random normal
    () => (r() < 0.02 ? 40 : 1) * normal(r),                       // normal with outliers
    (j) => normal(r) * [2e-16, 9e-16, 1e-15, 1.1e-15, 3e-15, 1e-14, 5e-16, 1.2e-15][j >> 5], // about GROUP_MAX_EPS
    () => -Math.abs(normal(r)),                                    // negative only
    () => Math.abs(normal(r)) + 0.5,                               // positive only, away from zero
    () => Math.abs(normal(r)),                                     // positive only
    () => normal(r) * 3e5,                                         // large
    () => normal(r) * 1e20,                                        // past fp16 range
    (j) => normal(r) * 2 ** ((j >> 4) - 8),                        // sub-blocks of different scales
    (j) => ((j >> 4) % 3 === 0 ? 0 : normal(r)),                   // zero sub-blocks among others
    (j) => (j % 16 === 5 ? normal(r) : 0),                         // one element per 16
    () => normal(r) * 1e-13,                                       // cubes subnormal
    () => normal(r) * 1e-19,                                       // squares subnormal
    (j) => (j % 7 === 0 ? normal(r) * 1e-39 : normal(r) * 1e-30),  // subnormals among tiny normals
    () => Math.round(normal(r) * 4) / 2,                           // halves: ties
    () => r() * 2 - 1,                                             // uniform
    (j) => (j % 32 === 0 ? -8 : (r() - 0.5) * 0.01),               // one large element per 32
  ];
  for (let b = 0; b < nblocks; b++) {
    const kind = kinds[b % kinds.length];
    for (let j = 0; j < 256; j++) x[b * 256 + j] = kind(j);
  }
  return x;
}

/** 32-element blocks whose largest magnitude is k ulps below a power of two, for every exponent (MXFP4's log2). */
function powerOfTwoEdges(r: () => number): Float32Array {
  const blocks: number[] = [];
  for (let e = -148; e <= 127; e++) {
    for (const k of [1, 2, 3, 10, 11, 12, 21, 22, 23, 44, 45, 88, 89, 100]) {
      const top = Math.fround(2 ** e * (1 - k * 2 ** -24));
      for (let j = 0; j < 32; j++) blocks.push(j === 3 ? (e % 2 ? -top : top) : Math.fround(top * (r() - 0.5)));
    }
  }
  return Float32Array.from(blocks);
}

describe('WebGPU dequantize equals the C++ reference bit for bit', { skip }, () => {
  const n = 256 * 12;
  for (const name of DEQUANT_TYPES) {
    it(name, async () => {
      const t = shaderType(name);
      const r = rng(name.length * 7919 + name.charCodeAt(1));
      const cases: [string, Uint8Array][] = [];
      const x = edgeRows(n, r);
      cases.push(['quantized edge rows', native().quantize(name, x, 12, 256)]);
      const imp = new Float32Array(256).map(() => r() + 0.01);
      cases.push(['quantized with importance', native().quantize(name, x.map(() => r() * 4 - 2), 12, 256, imp)]);
      const bytes = new Uint8Array((n / t.blockSize) * t.typeSize).map(() => Math.floor(r() * 256));
      cases.push(['random bytes (every field pattern, NaN and inf scales included)', bytes]);
      if (name === 'MXFP4') {
        const all = new Uint8Array(256 * t.typeSize).map(() => Math.floor(r() * 256));
        for (let e = 0; e < 256; e++) all[e * t.typeSize] = e;  // every E8M0 scale, subnormal ones too
        cases.push(['every exponent', all]);
      }
      for (const [what, q] of cases) {
        const count = (q.length / t.typeSize) * t.blockSize;
        const want = native().dequantize(name, q, count);
        const got = await kernels!.dequantize(t, q, count);
        const i = firstBitDifference(want, got);
        assert.equal(i, -1, `${name} ${what}: element ${i}: GPU ${got[i]} vs C++ ${want[i]}`);
      }
    });
  }
});

describe('WebGPU round-to-nearest quantize writes the C++ reference bytes', { skip }, () => {
  for (const name of QUANT_TYPES) {
    it(name, async () => {
      const t = shaderType(name);
      const r = rng(31 + name.charCodeAt(1));
      const cases: [string, Float32Array, number][] = [
        ['edge rows', edgeRows(6 * 512, r), 512],
        ['super-block kinds', superBlockRows(3 * 20 * 2, r), 20 * 256],
      ];
      if (t.blockSize === 32) cases.push(['largest magnitude below a power of two', powerOfTwoEdges(r), 32 * 14]);
      for (const [what, x, perRow] of cases) {
        const rows = x.length / perRow;
        const want = native().quantize(name, x, rows, perRow);
        const got = await kernels!.quantize(t, x, rows, perRow);
        assert.equal(got.length, want.length);
        const i = want.findIndex((v, k) => v !== got[k]);
        const b = Math.floor(i / t.typeSize);
        assert.equal(i, -1, `${name} ${what}: byte ${i % t.typeSize} of block ${b} (input ${x[b * t.blockSize]}…): GPU ${got[i]} vs C++ ${want[i]}`);
      }
    });
  }

  it('rejects rows that are not whole blocks', { skip }, async () => {
    await assert.rejects(kernels!.quantize(shaderType('Q4_0'), new Float32Array(40), 1, 40), /not a whole number of Q4_0 blocks/);
    await assert.rejects(kernels!.quantize(shaderType('F32'), new Float32Array(256), 1, 256), /no WGSL quantizer for type F32/);
  });

  // The k-quant searches run on guarded native arithmetic (shaders/guarded.wgsl): blocks whose
  // values stay in the normal float range, as model weights do, never go back to the C++.
  for (const name of ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K']) {
    it(`${name}: weight-like blocks are quantized on the GPU, blocks with subnormal or overflowing arithmetic by the C++`, { skip }, async () => {
      const t = shaderType(name);
      const r = rng(977 + name.charCodeAt(1));
      const weightLike: ((j: number) => number)[] = [
        () => normal(r) * 0.02,
        () => (r() < 0.02 ? 40 : 1) * normal(r) * 0.01,
        (j) => normal(r) * 2 ** ((j >> 4) - 12),
        (j) => ((j >> 4) % 3 === 0 ? 0 : normal(r) * 0.05),
        () => Math.abs(normal(r)) * 0.03,
        () => (r() - 0.5) * 0.1,
      ];
      const x = new Float32Array(weightLike.length * 8 * 256);
      for (let b = 0; b < x.length / 256; b++) for (let j = 0; j < 256; j++) x[b * 256 + j] = weightLike[b % weightLike.length](j);
      const plain = await kernels!.quantizeReport(t, x, x.length / 256, 256);
      assert.deepEqual(plain.redone, [], `${name}: weight-like blocks were handed back to the C++`);
      assert.deepEqual(plain.bytes, native().quantize(name, x, x.length / 256, 256));

      const tiny = Float32Array.from({ length: 2 * 256 }, () => normal(r) * 1e-13);  // cubes and squared sums subnormal
      const edge = await kernels!.quantizeReport(t, tiny, 2, 256);
      assert.deepEqual(edge.redone, [0, 1], `${name}: blocks with subnormal products were not handed back`);
      assert.deepEqual(edge.bytes, native().quantize(name, tiny, 2, 256));
    });
  }
});
