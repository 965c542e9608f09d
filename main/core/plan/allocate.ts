// Bit allocation as a multiple-choice knapsack: every tensor picks one candidate type, the total
// bytes stay within the budget, and the summed (additive) predicted error is minimal.
// Large instances: Lagrangian relaxation over each tensor's lower convex hull, walked greedily
// by error saved per byte, then a fill pass with the bytes left over. Small instances: an exact
// dynamic programme over Pareto frontiers of (bytes, error).

export interface Candidate {
  type: string;
  bytes: number;
  /** predicted contribution to the model's error (e.g. KL divergence); additive across tensors */
  error: number;
}

export interface AllocTensor {
  name: string;
  candidates: Candidate[];
}

export interface AllocResult {
  choice: Map<string, Candidate>;
  bytes: number;
  error: number;
  exact: boolean;
  /** the smallest possible total, reported when the budget cannot be met */
  minBytes: number;
}

export class BudgetTooSmallError extends Error {
  constructor(
    readonly budget: number,
    readonly minBytes: number,
  ) {
    super(`the budget of ${budget} bytes is below the smallest possible plan (${minBytes} bytes)`);
    this.name = 'BudgetTooSmallError';
  }
}

/** Candidates sorted by bytes with dominated ones removed (more bytes and no less error). */
function paretoSorted(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.bytes - b.bytes || a.error - b.error);
  const out: Candidate[] = [];
  for (const c of sorted) if (!out.length || c.error < out[out.length - 1].error) out.push(c);
  return out;
}

/** Lower convex hull of a Pareto-sorted list (decreasing error-saved-per-byte slopes). */
function lowerHull(p: Candidate[]): Candidate[] {
  const h: Candidate[] = [];
  for (const c of p) {
    while (h.length >= 2) {
      const a = h[h.length - 2];
      const b = h[h.length - 1];
      // keep b only if the slope a→b is steeper (saves more per byte) than b→c
      if ((a.error - b.error) * (c.bytes - b.bytes) > (b.error - c.error) * (b.bytes - a.bytes)) break;
      h.pop();
    }
    h.push(c);
  }
  return h;
}

const EXACT_STATE_LIMIT = 20_000;
/** Beyond this many tensors the exact programme is not attempted (its frontier explodes). */
const EXACT_MAX_TENSORS = 40;

export function allocate(tensors: AllocTensor[], budget: number, options: { exactStateLimit?: number } = {}): AllocResult {
  const fronts = tensors.map((t) => {
    if (!t.candidates.length) throw new Error(`tensor ${t.name} has no candidate type`);
    return paretoSorted(t.candidates);
  });
  const minBytes = fronts.reduce((s, f) => s + f[0].bytes, 0);
  if (minBytes > budget) throw new BudgetTooSmallError(budget, minBytes);
  const limit = options.exactStateLimit ?? EXACT_STATE_LIMIT;
  const exact = tensors.length <= EXACT_MAX_TENSORS && limit > 0 ? exactAllocate(tensors, fronts, budget, limit) : null;
  if (exact) return { ...exact, exact: true, minBytes };
  return { ...greedyAllocate(tensors, fronts, budget), exact: false, minBytes };
}

function greedyAllocate(tensors: AllocTensor[], fronts: Candidate[][], budget: number) {
  const hulls = fronts.map(lowerHull);
  const pos = hulls.map(() => 0);
  let bytes = hulls.reduce((s, h) => s + h[0].bytes, 0);
  // Upgrades along each hull have decreasing slopes, so a max-heap of each tensor's next step
  // yields the global greedy order of the Lagrangian solution.
  const heap = new SlopeHeap();
  hulls.forEach((h, i) => h.length > 1 && heap.push(i, slope(h[0], h[1])));
  while (heap.size) {
    const i = heap.pop()!;
    const h = hulls[i];
    const next = h[pos[i] + 1];
    const extra = next.bytes - h[pos[i]].bytes;
    if (bytes + extra > budget) continue; // this tensor stops here; others may still fit
    bytes += extra;
    pos[i]++;
    if (pos[i] + 1 < h.length) heap.push(i, slope(h[pos[i]], h[pos[i] + 1]));
  }
  const chosen = hulls.map((h, i) => h[pos[i]]);
  // Fill: spend what is left on the single best (possibly off-hull) improvement, repeatedly.
  for (;;) {
    let best = -1;
    let bestCand: Candidate | null = null;
    let bestGain = 0;
    fronts.forEach((f, i) => {
      for (const c of f) {
        const extra = c.bytes - chosen[i].bytes;
        const gain = chosen[i].error - c.error;
        if (extra > 0 && bytes + extra <= budget && gain > bestGain) {
          bestGain = gain;
          best = i;
          bestCand = c;
        }
      }
    });
    if (best < 0) break;
    bytes += bestCand!.bytes - chosen[best].bytes;
    chosen[best] = bestCand!;
  }
  return summarize(tensors, chosen);
}

function slope(a: Candidate, b: Candidate): number {
  return (a.error - b.error) / Math.max(1, b.bytes - a.bytes);
}

function summarize(tensors: AllocTensor[], chosen: Candidate[]) {
  const choice = new Map<string, Candidate>();
  let bytes = 0;
  let error = 0;
  chosen.forEach((c, i) => {
    choice.set(tensors[i].name, c);
    bytes += c.bytes;
    error += c.error;
  });
  return { choice, bytes, error };
}

/**
 * Exact DP over Pareto frontiers; returns null when the frontier grows past the state limit.
 * Each layer of states keeps (bytes, error) and a back-pointer (previous state, candidate), so a
 * step costs O(states × candidates) without copying choices.
 */
function exactAllocate(tensors: AllocTensor[], fronts: Candidate[][], budget: number, limit: number) {
  interface State {
    bytes: number;
    error: number;
    prev: number;
    pick: number;
  }
  const layers: State[][] = [];
  let states: State[] = [{ bytes: 0, error: 0, prev: -1, pick: -1 }];
  const minRest = new Array(fronts.length + 1).fill(0);
  for (let i = fronts.length - 1; i >= 0; i--) minRest[i] = minRest[i + 1] + fronts[i][0].bytes;
  for (let i = 0; i < fronts.length; i++) {
    const next: State[] = [];
    states.forEach((s, si) =>
      fronts[i].forEach((c, k) => {
        const b = s.bytes + c.bytes;
        if (b + minRest[i + 1] <= budget) next.push({ bytes: b, error: s.error + c.error, prev: si, pick: k });
      }),
    );
    if (next.length > limit) return null;
    next.sort((a, b) => a.bytes - b.bytes || a.error - b.error);
    layers.push(states);
    states = [];
    for (const s of next) if (!states.length || s.error < states[states.length - 1].error) states.push(s);
    if (states.length * (fronts[i + 1]?.length ?? 1) > limit) return null;
  }
  let best = states.reduce((a, b) => (b.error < a.error ? b : a));
  const chosen: Candidate[] = new Array(fronts.length);
  for (let i = fronts.length - 1; i >= 0; i--) {
    chosen[i] = fronts[i][best.pick];
    best = layers[i][best.prev];
  }
  return summarize(tensors, chosen);
}

/** Max-heap of (tensor index, slope). */
class SlopeHeap {
  private idx: number[] = [];
  private key: number[] = [];
  get size() {
    return this.idx.length;
  }
  push(i: number, k: number) {
    this.idx.push(i);
    this.key.push(k);
    let c = this.idx.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (this.key[p] >= this.key[c]) break;
      this.swap(p, c);
      c = p;
    }
  }
  pop(): number | undefined {
    if (!this.idx.length) return undefined;
    const top = this.idx[0];
    const li = this.idx.pop()!;
    const lk = this.key.pop()!;
    if (this.idx.length) {
      this.idx[0] = li;
      this.key[0] = lk;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < this.idx.length && this.key[l] > this.key[m]) m = l;
        if (r < this.idx.length && this.key[r] > this.key[m]) m = r;
        if (m === p) break;
        this.swap(p, m);
        p = m;
      }
    }
    return top;
  }
  private swap(a: number, b: number) {
    [this.idx[a], this.idx[b]] = [this.idx[b], this.idx[a]];
    [this.key[a], this.key[b]] = [this.key[b], this.key[a]];
  }
}
