// One llama.cpp instance (node-llama-cpp, CPU build shipped in the npm package) per test process.
import type { Llama, Token } from 'node-llama-cpp';

let instance: Promise<Llama> | undefined;

export async function llamaCpp(): Promise<Llama> {
  instance ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }),
  );
  return instance;
}

/** llama.cpp's logits for every position of one fresh sequence (tokens.length × nVocab). */
export async function llamaLogits(modelPath: string, tokens: number[], nVocab: number): Promise<Float32Array> {
  const llama = await llamaCpp();
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: Math.max(256, tokens.length), batchSize: tokens.length, threads: 2 });
    const seq = context.getSequence();
    const out = new Float32Array(tokens.length * nVocab).fill(NaN);
    const items = tokens.map((t) => [t, { generateNext: { logits: true } }] as [Token, { generateNext: { logits: true } }]);
    const res = await seq.controlledEvaluate(items);
    res.forEach((r, i) => {
      const logits = r?.next.logits;
      if (!logits) throw new Error(`no logits from llama.cpp at position ${i}`);
      for (const [tok, v] of logits) out[i * nVocab + tok] = v;
    });
    await context.dispose();
    return out;
  } finally {
    await model.dispose();
  }
}

/**
 * llama-perplexity's protocol run inside llama.cpp (node-llama-cpp): each chunk from an empty
 * cache with BOS first, the second half scored. `chunks` limits the work. Returns the scored
 * positions' log-probabilities (one Float64Array of nVocab per position) and their targets.
 */
export async function llamaScoredLogProbs(modelPath: string, tokens: number[], nCtx: number, nVocab: number, bos: number, chunks: number) {
  const llama = await llamaCpp();
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: nCtx, batchSize: nCtx, threads: 2 });
  const seq = context.getSequence();
  const logProbs: Float64Array[] = [];
  const targets: number[] = [];
  try {
    const n = Math.min(chunks, Math.floor(tokens.length / nCtx));
    for (let c = 0; c < n; c++) {
      await seq.clearHistory();
      const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
      chunk[0] = bos;
      const first = nCtx / 2;
      const items = chunk.map((t, i) => (i >= first && i < nCtx - 1 ? ([t, { generateNext: { logits: true } }] as [Token, { generateNext: { logits: true } }]) : (t as Token)));
      const res = await seq.controlledEvaluate(items);
      for (let i = first; i < nCtx - 1; i++) {
        const v = new Float64Array(nVocab);
        for (const [tok, x] of res[i]!.next.logits!) v[tok] = x;
        let m = -Infinity;
        for (const x of v) m = Math.max(m, x);
        let s = 0;
        for (const x of v) s += Math.exp(x - m);
        const lse = m + Math.log(s);
        for (let k = 0; k < nVocab; k++) v[k] -= lse;
        logProbs.push(v);
        targets.push(tokens[c * nCtx + i + 1]);
      }
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }
  return { logProbs, targets };
}

export async function llamaPerplexity(modelPath: string, tokens: number[], nCtx: number, nVocab: number, bos: number, chunks: number): Promise<number> {
  const { logProbs, targets } = await llamaScoredLogProbs(modelPath, tokens, nCtx, nVocab, bos, chunks);
  return Math.exp(-logProbs.reduce((s, lp, i) => s + lp[targets[i]], 0) / logProbs.length);
}

/** Perplexity of `modelPath` and its mean KL divergence from `reference` (log-probs of the same positions), by llama.cpp. */
export async function llamaPplKl(modelPath: string, reference: { logProbs: Float64Array[] }, tokens: number[], nCtx: number, nVocab: number, bos: number, chunks: number) {
  const { logProbs, targets } = await llamaScoredLogProbs(modelPath, tokens, nCtx, nVocab, bos, chunks);
  let kl = 0;
  for (let i = 0; i < logProbs.length; i++) {
    const p = reference.logProbs[i];
    const q = logProbs[i];
    for (let k = 0; k < nVocab; k++) kl += Math.exp(p[k]) * (p[k] - q[k]);
  }
  return { ppl: Math.exp(-logProbs.reduce((s, lp, i) => s + lp[targets[i]], 0) / logProbs.length), meanKl: kl / logProbs.length };
}
