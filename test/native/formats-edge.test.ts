// SIMD quantizers equal the reference on blocks random data never produces: zeros of both signs,
// scales so small that 1/d overflows, ties for the largest magnitude, exact halves.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { initialLevel, SIMD_LEVELS, useScalar, useSimdLevel } from './simd.js';

const block = (f: (i: number) => number) => Float32Array.from({ length: 256 }, (_, i) => f(i));
const CASES: Record<string, Float32Array> = {
  zeros: block(() => 0),
  'negative zeros': block(() => -0),
  'tiny (1/d overflows)': block((i) => ((i % 32) - 16) * 1e-39),
  'tiny mixed': block((i) => ((i % 3) - 1) * 3e-37),
  'ties for the largest magnitude': block((i) => (i % 2 ? 4 : -4)),
  'exact halves': block((i) => ((i % 32) - 16) / 2),
  constant: block(() => 1.25),
  huge: block((i) => ((i % 7) - 3) * 1e30),
};

describe('SIMD quantizers on edge-case blocks', () => {
  after(() => native().testing.setSimdLevel(initialLevel));
  for (const t of native().typeInfo().filter((x) => x.simdQuantize))
    for (const level of SIMD_LEVELS)
      it(`${t.name} at ${level}`, (tc) => {
        for (const [name, x] of Object.entries(CASES)) {
          useScalar();
          const ref = Buffer.from(native().quantize(t.name, x, 1, 256));
          if (!useSimdLevel(tc, level)) return;
          const simd = Buffer.from(native().quantize(t.name, x, 1, 256));
          assert.ok(ref.equals(simd), `${t.name}: ${name} differs between the reference and ${level}`);
        }
      });
});
