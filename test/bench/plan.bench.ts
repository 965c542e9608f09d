// Re-planning speed: 1,000 tensors × 10 candidates must solve in under 50 ms so the studio can
// re-plan while a slider moves. The reference run in the same process is a plain sort of the
// same 10,000 candidates, to show how noisy the machine was.
import { AllocTensor, allocate } from '../../main/core/plan/allocate.js';
import { mulberry32 } from '../helpers/random.js';
import { timeIt, writeBenchResult } from './bench-util.js';

const rand = mulberry32(42);
const tensors: AllocTensor[] = Array.from({ length: 1000 }, (_, i) => {
  const size = 1e6 + Math.floor(rand() * 5e7);
  const sens = 0.01 + rand() * 10;
  return {
    name: `blk.${i >> 3}.t${i & 7}`,
    candidates: Array.from({ length: 10 }, (_, j) => {
      const bits = 2 + j * 0.7 + rand() * 0.2;
      return { type: `c${j}`, bytes: Math.round((size * bits) / 8), error: sens * 2 ** (-2 * bits) };
    }),
  };
});
const minBytes = tensors.reduce((s, t) => s + Math.min(...t.candidates.map((c) => c.bytes)), 0);
const budgets = [1.2, 1.5, 2, 2.5].map((f) => Math.round(minBytes * f));
const perBudget = budgets.map((b) => timeIt(() => allocate(tensors, b)));
const worst = Math.max(...perBudget);
const all = tensors.flatMap((t) => t.candidates.map((c) => c.error / c.bytes));
const sortRef = timeIt(() => [...all].sort((a, b) => a - b));
writeBenchResult('plan', {
  tensors: tensors.length,
  candidatesPerTensor: 10,
  secondsPerPlan: perBudget,
  worstMs: worst * 1000,
  targetMs: 50,
  worstOverTarget: (worst * 1000) / 50,
  referenceSortMs: sortRef * 1000,
  planOverReferenceSort: worst / sortRef,
  pass: worst * 1000 < 50,
});
