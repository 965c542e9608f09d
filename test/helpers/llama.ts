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
