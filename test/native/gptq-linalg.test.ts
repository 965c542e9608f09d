// The numeric building blocks of GPTQ: GEMMs (AVX2 vs portable vs triple loop), fp64 factorisations,
// Hessian accumulation.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { native, type SimdLevelName } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { correlatedActivations } from './gptq-helpers.js';
import { initialLevel, SIMD_LEVELS, useSimdLevel } from './simd.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float64Array(a.length));

/** A·Bᵀ with A, B row-major (m×k, n×k), plain fp64 loops. */
function mulNT(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      c[i * n + j] = s;
    }
  return c;
}

function spd(n: number, seed: number, tokens = 2 * n): Float64Array {
  const x = Float64Array.from(seededNormal(n * tokens, seed));
  const h = mulNT(x, x, n, n, tokens);
  return h;
}

describe('linalg: f32 GEMM', () => {
  after(() => native().testing.setSimdLevel(initialLevel));
  // sizes around the 6×16 register tile, the 96-row and 256-deep blocking, and the lazy-update shape
  const shapes: [number, number, number][] = [[1, 1, 1], [5, 17, 3], [37, 45, 301], [97, 130, 257], [200, 333, 128]];
  for (const [m, n, k] of shapes) {
    const a = seededNormal(m * k, m + 1);
    const b = seededNormal(k * n, n + 2);
    const c = seededNormal(m * n, k + 3);
    const tol = 2e-6 * Math.sqrt(k) * 4; // |entries| of A·B are ~√k, rounding ~k·ε·√k in the worst order
    for (const level of ['scalar', ...SIMD_LEVELS] as SimdLevelName[])
      it(`${m}×${n}×${k}: the ${level} path equals the triple loop within float rounding, at 1 and 2 threads`, (t) => {
        const ref = native().testing.linalgSgemm(a, b, m, n, k, { reference: true, alpha: -0.75, c });
        if (!useSimdLevel(t, level)) return;
        for (const threads of [1, 2]) {
          const got = native().testing.linalgSgemm(a, b, m, n, k, { threads, alpha: -0.75, c });
          assert.ok(maxAbsDiff(got, ref) < tol, `${level} ×${threads}: ${maxAbsDiff(got, ref)}`);
        }
        // and not trivially: the product moved C by much more than the tolerance
        assert.ok(maxAbsDiff(ref, c) > 100 * tol || k < 4);
      });
  }
});

describe('linalg: fp64 A·Bᵀ', () => {
  for (const [m, n, k] of [[1, 1, 1], [7, 5, 3], [50, 70, 301], [130, 130, 64]] as [number, number, number][]) {
    it(`${m}×${n}×${k}: equals the loop to 1e-12 relative, and the lower-only form leaves j > i untouched`, () => {
      const a = Float64Array.from(seededNormal(m * k, 4));
      const b = Float64Array.from(seededNormal(n * k, 5));
      const ref = mulNT(a, b, m, n, k);
      for (const threads of [1, 2]) {
        const got = native().testing.linalgDgemmNt(a, b, m, n, k, { threads });
        assert.ok(maxAbsDiff(got, ref) <= 1e-12 * Math.max(1, maxAbs(ref)));
      }
      if (m === n) {
        const low = native().testing.linalgDgemmNt(a, b, m, n, k, { threads: 2, lower: true });
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            if (j <= i) assert.ok(Math.abs(low[i * n + j] - ref[i * n + j]) <= 1e-12 * Math.max(1, maxAbs(ref)));
            else assert.equal(low[i * n + j], 0);
          }
      }
    });
  }
});

describe('linalg: Cholesky and the GPTQ factor', () => {
  for (const n of [1, 3, 127, 128, 129, 300]) {
    it(`n = ${n}: L·Lᵀ = H, UᵀU = H⁻¹ with U upper, H·H⁻¹ = I`, () => {
      const H = spd(n, n);
      const scale = maxAbs(H);
      const L = native().testing.linalgFactor(H, n, 'cholesky', 0, 2)!;
      assert.ok(maxAbsDiff(mulNT(L, L, n, n, n), H) < 1e-12 * scale);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(L[i * n + j], 0);
      const U = native().testing.linalgFactor(H, n, 'upperInverse', 0, 2)!;
      for (let i = 0; i < n; i++) {
        assert.ok(U[i * n + i] > 0);
        for (let j = 0; j < i; j++) assert.equal(U[i * n + j], 0);
      }
      const inv = native().testing.linalgFactor(H, n, 'inverse', 0, 2)!;
      const Ut = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Ut[j * n + i] = U[i * n + j];
      assert.ok(maxAbsDiff(mulNT(Ut, Ut, n, n, n), inv) < 1e-9 * maxAbs(inv)); // UᵀU
      const HI = mulNT(H, inv, n, n, n); // H·inv (inv symmetric)
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(HI[i * n + j] - (i === j ? 1 : 0)) < 1e-8);
    });
  }

  it('reports failure on a matrix that is not positive definite, and succeeds once shifted', () => {
    const n = 200;
    const H = spd(n, 9, 50); // rank 50
    assert.equal(native().testing.linalgFactor(H, n, 'cholesky'), null);
    assert.equal(native().testing.linalgFactor(H, n, 'upperInverse'), null);
    const indefinite = spd(n, 10);
    indefinite[77 * n + 77] = -1;
    assert.equal(native().testing.linalgFactor(indefinite, n, 'cholesky'), null);
    let mean = 0;
    for (let j = 0; j < n; j++) mean += H[j * n + j] / n;
    assert.ok(native().testing.linalgFactor(H, n, 'upperInverse', 0.01 * mean) !== null);
  });
});

describe('Hessian accumulation', () => {
  it('H += XᵀX in fp64 equals the loop, stays symmetric, and two calls equal one', () => {
    const tokens = 300, cols = 70;
    const X = correlatedActivations(tokens, cols, 1);
    const H = new Float64Array(cols * cols);
    assert.equal(native().hessianAccumulate(H, X.subarray(0, 100 * cols), 100, cols, 2), 100);
    native().hessianAccumulate(H, X.subarray(100 * cols), 200, cols, 1);
    const ref = new Float64Array(cols * cols);
    for (let t = 0; t < tokens; t++)
      for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) ref[i * cols + j] += X[t * cols + i] * X[t * cols + j];
    assert.ok(maxAbsDiff(H, ref) < 1e-11 * maxAbs(ref));
    for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) assert.equal(H[i * cols + j], H[j * cols + i]);
  });
});
