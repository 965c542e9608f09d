// The allocator against brute force on small random instances, and its greedy path's optimality
// gap on instances too big for the exact solver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AllocTensor, BudgetTooSmallError, allocate } from '../../main/core/plan/allocate.js';
import { mulberry32 } from '../helpers/random.js';

function randomInstance(n: number, k: number, seed: number): AllocTensor[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const size = 1000 + Math.floor(rand() * 9000);
    const sens = 0.1 + rand() * 10;
    return {
      name: `t${i}`,
      candidates: Array.from({ length: k }, (_, j) => {
        const bits = 2 + j + rand() * 0.5;
        return { type: `b${j}`, bytes: Math.round((size * bits) / 8), error: sens * 2 ** (-2 * bits) * (0.8 + 0.4 * rand()) };
      }),
    };
  });
}

function bruteForce(ts: AllocTensor[], budget: number): number {
  let best = Infinity;
  const rec = (i: number, bytes: number, err: number) => {
    if (bytes > budget) return;
    if (i === ts.length) return void (best = Math.min(best, err));
    for (const c of ts[i].candidates) rec(i + 1, bytes + c.bytes, err + c.error);
  };
  rec(0, 0, 0);
  return best;
}

describe('bit allocation', () => {
  it('is exactly optimal on small instances (checked by brute force)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const ts = randomInstance(6, 4, seed);
      const min = ts.reduce((s, t) => s + Math.min(...t.candidates.map((c) => c.bytes)), 0);
      const max = ts.reduce((s, t) => s + Math.max(...t.candidates.map((c) => c.bytes)), 0);
      const budget = Math.round(min + (max - min) * ((seed % 10) / 10));
      const r = allocate(ts, budget);
      assert.ok(r.exact);
      assert.ok(r.bytes <= budget);
      assert.ok(Math.abs(r.error - bruteForce(ts, budget)) <= 1e-12 * Math.max(1, r.error), `seed ${seed}`);
    }
  });

  it('greedy path stays within budget and close to the exact optimum', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const ts = randomInstance(40, 5, seed);
      const min = ts.reduce((s, t) => s + Math.min(...t.candidates.map((c) => c.bytes)), 0);
      const budget = Math.round(min * 1.6);
      const exact = allocate(ts, budget);
      const greedy = allocate(ts, budget, { exactStateLimit: 0 });
      assert.ok(exact.exact && !greedy.exact);
      assert.ok(greedy.bytes <= budget);
      assert.ok(greedy.error <= exact.error * 1.05, `seed ${seed}: greedy ${greedy.error} vs exact ${exact.error}`);
    }
  });

  it('spends more bytes for less error as the budget grows', () => {
    const ts = randomInstance(50, 6, 3);
    const min = ts.reduce((s, t) => s + Math.min(...t.candidates.map((c) => c.bytes)), 0);
    let last = Infinity;
    for (const f of [1, 1.2, 1.5, 2, 3]) {
      const r = allocate(ts, Math.round(min * f));
      assert.ok(r.error <= last);
      last = r.error;
    }
  });

  it('refuses a budget below the smallest plan', () => {
    const ts = randomInstance(3, 2, 1);
    assert.throws(() => allocate(ts, 10), BudgetTooSmallError);
  });
});
