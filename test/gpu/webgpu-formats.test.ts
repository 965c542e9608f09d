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
      const rows = 6;
      const perRow = 512;
      const x = edgeRows(rows * perRow, r);
      const want = native().quantize(name, x, rows, perRow);
      const got = await kernels!.quantize(t, x, rows, perRow);
      assert.equal(got.length, want.length);
      const i = want.findIndex((v, k) => v !== got[k]);
      assert.equal(i, -1, `${name}: byte ${i} of block ${Math.floor(i / t.typeSize)}: GPU ${got[i]} vs C++ ${want[i]}`);
    });
  }

  it('rejects rows that are not whole blocks', { skip }, async () => {
    await assert.rejects(kernels!.quantize(shaderType('Q4_0'), new Float32Array(40), 1, 40), /not a whole number of Q4_0 blocks/);
    await assert.rejects(kernels!.quantize(shaderType('Q2_K'), new Float32Array(256), 1, 256), /no WGSL quantizer for type Q2_K/);
  });
});
