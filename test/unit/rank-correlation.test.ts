// Spearman's rank correlation against values worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { spearman } from '../../main/core/plan/rank-correlation.js';

describe('spearman', () => {
  it('is 1 for any increasing relation and -1 for a decreasing one', () => {
    assert.equal(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]), 1);
    assert.equal(spearman([0.1, 0.5, 0.2], [30, 10, 20]), -1);
  });

  it('matches 1 − 6Σd²/(n(n²−1)) without ties', () => {
    // ranks a: 1 2 3 4 5, b: 2 1 4 3 5 → Σd² = 4 → 1 − 24/120 = 0.8
    assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50]) - 0.8) < 1e-12);
  });

  it('gives tied values their mean rank', () => {
    // ranks a: 1.5 1.5 3 4, b: 1 2 3 4 → Pearson of the ranks = 0.9486832980505138
    assert.ok(Math.abs(spearman([7, 7, 8, 9], [1, 2, 3, 4]) - 3 / Math.sqrt(10)) < 1e-12);
  });

  it('is undefined for a constant side and refuses bad input', () => {
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
    assert.throws(() => spearman([1, 2], [1]), /2 values against 1/);
    assert.throws(() => spearman([1], [1]), /at least two/);
    assert.throws(() => spearman([1, NaN], [1, 2]), /finite/);
  });
});
