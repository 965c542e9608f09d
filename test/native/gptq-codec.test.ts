// The GPTQ codecs against the reference dequantizer: after fitting a block and writing projected
// codes, dequantize(bytes)[i] is exactly the value the codec reported for element i — including
// after k-quant sub-block scales were refitted on moved weights.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { mulberry32, seededNormal } from '../helpers/random.js';
import { blockSize, GPTQ_TYPES, K_TYPES } from './gptq-helpers.js';

describe('GPTQ codecs', () => {
  for (const type of GPTQ_TYPES) {
    it(`${type}: dequantize(bytes) equals the codec's grid values, element by element, for 200 random blocks`, () => {
      const bs = blockSize(type);
      const rand = mulberry32(17);
      let refitted = 0;
      for (let b = 0; b < 200; b++) {
        const x = seededNormal(bs, 1000 + b);
        const scale = 10 ** (4 * rand() - 2);
        for (let i = 0; i < bs; i++) x[i] *= scale * (rand() < 0.05 ? 8 : 1); // a few outliers
        const imp = Float32Array.from({ length: bs }, () => 0.1 + rand() * 3);
        // targets: the values moved as GPTQ's feedback moves them, some far outside the grid's range
        const noise = seededNormal(bs, 5000 + b);
        const spread = [0.05, 0.3, 2][b % 3];
        const targets = Float32Array.from(x, (v, i) => v + spread * scale * noise[i]);
        const p = native().testing.gptqCodecProbe(type, x, imp, targets, b % 2 === 1);
        refitted += p.refitted;
        const back = native().dequantize(type, p.data, bs);
        for (let i = 0; i < bs; i++) assert.ok(Object.is(back[i], p.values[i]), `block ${b} element ${i}: ${back[i]} vs ${p.values[i]}`);
      }
      if (K_TYPES.includes(type)) assert.ok(refitted > 0, 'some sub-block scales were refitted');
    });
  }

  it('projection is the nearest grid value: with targets on the grid, it returns them exactly', () => {
    for (const type of GPTQ_TYPES) {
      const bs = blockSize(type);
      const x = seededNormal(bs, 3);
      const imp = new Float32Array(bs).fill(1);
      const first = native().testing.gptqCodecProbe(type, x, imp, x, false);
      // projecting a value that is already on element i's grid returns it unchanged
      const again = native().testing.gptqCodecProbe(type, x, imp, first.values, false);
      assert.deepEqual(Array.from(again.values), Array.from(first.values), type);
      // a target between two grid values maps to one of its neighbours, never further
      const mid = Float32Array.from(first.values, (v, i) => v + (i % 2 ? 1e-3 : -1e-3) * Math.abs(v));
      const near = native().testing.gptqCodecProbe(type, x, imp, mid, false);
      for (let i = 0; i < bs; i++) assert.ok(Math.abs(near.values[i] - mid[i]) <= Math.abs(first.values[i] - mid[i]) + 1e-7, `${type} ${i}`);
    }
  });
});
