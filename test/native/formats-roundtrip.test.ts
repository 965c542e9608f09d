// The SIMD dequantizers equal the reference, and dequantize(quantize(x)) stays within each
// type's expected error, on seeded random data.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { NativeTypeInfo, native } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { initialLevel, SIMD_LEVELS, useScalar, useSimdLevel } from './simd.js';

// Relative RMS error of a b-bit uniform quantizer on Gaussian data is about 2^-(b-1.5); float
// types lose half an ulp of their mantissa. The bounds are loose on purpose: they catch broken
// formats, not small differences.
const FLOAT_MANTISSA_BITS: Record<string, number> = { F32: 24, F16: 11, BF16: 8 };
function errorBound(t: NativeTypeInfo): number {
  if (!t.quantized) return 2 ** -FLOAT_MANTISSA_BITS[t.name];
  return 2 ** -((t.typeSize * 8) / t.blockSize - 3);
}

describe('block formats: SIMD paths equal the reference', () => {
  after(() => native().testing.setSimdLevel(initialLevel));
  const n = 256 * 8;
  for (const t of native().typeInfo().filter((x) => x.codec)) {
    const x = seededNormal(n, 1234 + t.id);
    const reference = () => {
      useScalar();
      const q = native().quantize(t.name, x, 8, 256);
      return { q, d: native().dequantize(t.name, q, n) };
    };

    it(`${t.name}: dequantize(quantize(x)) stays within the type's error`, () => {
      const { d } = reference();
      let err = 0;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        err += (d[i] - x[i]) ** 2;
        norm += x[i] ** 2;
      }
      assert.ok(Math.sqrt(err / norm) <= errorBound(t), `${t.name}: relative error ${Math.sqrt(err / norm)}`);
    });

    for (const level of SIMD_LEVELS)
      it(`${t.name}: ${level} dequantize and quantize equal the reference`, (tc) => {
        const ref = reference();
        if (!useSimdLevel(tc, level)) return;
        assert.deepEqual(Buffer.from(native().quantize(t.name, x, 8, 256)), Buffer.from(ref.q), `${level} quantize differs from the reference`);
        assert.deepEqual(native().dequantize(t.name, ref.q, n), ref.d, `${level} dequantize differs from the reference`);
      });
  }
});
