// The SIMD dequantizers equal the reference, and dequantize(quantize(x)) stays within each
// type's expected error, on seeded random data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NativeTypeInfo, native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';

// Relative RMS error of a b-bit uniform quantizer on Gaussian data is about 2^-(b-1.5); float
// types lose half an ulp of their mantissa. The bounds are loose on purpose: they catch broken
// formats, not small differences.
const FLOAT_MANTISSA_BITS: Record<string, number> = { F32: 24, F16: 11, BF16: 8 };
function errorBound(t: NativeTypeInfo): number {
  if (!t.quantized) return 2 ** -FLOAT_MANTISSA_BITS[t.name];
  return 2 ** -((t.typeSize * 8) / t.blockSize - 3);
}

describe('block formats: SIMD paths equal the reference', () => {
  for (const t of native().typeInfo()) {
    it(`${t.name}: dequantize and quantize agree across SIMD levels`, () => {
      const n = 256 * 8;
      const x = seededNormal(n, 1234 + t.id);
      native().setSimdLevel('scalar');
      const qRef = native().quantize(t.name, x, 8, 256);
      const dRef = native().dequantize(t.name, qRef, n);
      native().setSimdLevel('avx512');
      const qSimd = native().quantize(t.name, x, 8, 256);
      const dSimd = native().dequantize(t.name, qRef, n);
      assert.deepEqual(Buffer.from(qSimd), Buffer.from(qRef), 'SIMD quantize differs from the reference');
      assert.deepEqual(dSimd, dRef, 'SIMD dequantize differs from the reference');
      let err = 0;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        err += (dRef[i] - x[i]) ** 2;
        norm += x[i] ** 2;
      }
      assert.ok(Math.sqrt(err / norm) <= errorBound(t), `${t.name}: relative error ${Math.sqrt(err / norm)}`);
    });
  }
});
