// Does llama.cpp load this file? Loaded with node-llama-cpp (CPU build from its npm package, a
// development dependency): tokenizes a prompt and predicts the next token.
import type { LlamaCheck } from '../../contract/api.js';

const PROMPT = 'Once upon a time';

export async function checkLlamaCpp(modelPath: string): Promise<LlamaCheck> {
  let mod: typeof import('node-llama-cpp');
  try {
    mod = await import('node-llama-cpp');
  } catch {
    return { ok: false, message: 'node-llama-cpp is not installed (it is a development dependency: run `npm install` without --omit=dev) so the llama.cpp check cannot run' };
  }
  const llama = await mod.getLlama({ gpu: false, build: 'never', logLevel: mod.LlamaLogLevel.error });
  let model;
  try {
    model = await llama.loadModel({ modelPath });
  } catch (e) {
    return { ok: false, message: `llama.cpp refused the file: ${(e as Error).message}` };
  }
  try {
    const context = await model.createContext({ contextSize: 64, batchSize: 64, threads: 1 });
    try {
      const tokens = model.tokenize(PROMPT);
      const seq = context.getSequence();
      const items = tokens.map((t, i) => (i === tokens.length - 1 ? ([t, { generateNext: { logits: true } }] as const) : t));
      const res = await seq.controlledEvaluate(items as Parameters<typeof seq.controlledEvaluate>[0]);
      const logits = res[tokens.length - 1]?.next.logits;
      if (!logits) return { ok: false, message: 'llama.cpp loaded the file but returned no logits' };
      let best = -1;
      let bestV = -Infinity;
      for (const [tok, v] of logits) if (v > bestV) [best, bestV] = [tok, v];
      const prediction = model.detokenize([best as (typeof tokens)[number]]);
      return {
        ok: true,
        message: `llama.cpp loaded the file and evaluated "${PROMPT}" (${tokens.length} tokens)`,
        layers: model.fileInsights.totalLayers,
        trainContext: model.trainContextSize,
        prediction,
      };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}
