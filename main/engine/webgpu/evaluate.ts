// Perplexity / KL evaluation with the forward pass on WebGPU (forward.ts), in the native
// evaluator's protocol: chunks of nCtx tokens from an empty cache, BOS first, second half scored.
// The reference model, when given, runs the same way on the same device.
import type { EngineModel } from '../model-types.js';
import { throwIfCancelled } from '../cancelled.js';
import { type EvaluateOptions, type Evaluation, summarize } from '../evaluate.js';
import { checkFinite, emptySums, scoreChunk } from '../scoring.js';
import { GpuForward } from './forward.js';
import type { GpuKernels } from './kernels.js';

export async function evaluateWebGpu(kernels: GpuKernels, model: EngineModel, o: EvaluateOptions): Promise<Evaluation> {
  const start = performance.now();
  const { nCtx, tokens } = o;
  if (!Number.isInteger(nCtx) || nCtx < 4) throw new Error('the context must hold at least 4 tokens');
  const nChunk = Math.floor(tokens.length / nCtx);
  if (nChunk < 1) throw new Error(`the text has ${tokens.length} tokens, fewer than one context of ${nCtx}`);
  if (o.reference && o.reference.hparams.nVocab !== model.hparams.nVocab) throw new Error("the reference model's vocabulary differs from the model's");
  const checkCancel = () => {
    throwIfCancelled(o.signal);
  };
  checkCancel();
  const V = model.hparams.nVocab;
  const first = Math.floor(nCtx / 2);
  const fwd = await GpuForward.load(kernels, model);
  let ref: GpuForward | undefined;
  try {
    if (o.reference) ref = await GpuForward.load(kernels, o.reference);
    const r = emptySums(!!ref);
    for (let c = 0; c < nChunk; c++) {
      const chunk = tokens.subarray(c * nCtx, (c + 1) * nCtx);
      const batch = Int32Array.from(chunk);
      if (o.addBos && o.bos !== null && o.bos >= 0) batch[0] = o.bos;
      const logits = await fwd.forward(batch, first, checkCancel);
      checkFinite(logits);
      const refLogits = ref ? await ref.forward(batch, first, checkCancel) : undefined;
      scoreChunk(r, logits, refLogits, chunk, first, V);
      r.chunks = c + 1;
      o.onProgress?.(c + 1, nChunk);
    }
    r.seconds = (performance.now() - start) / 1000;
    return summarize(r);
  } finally {
    fwd.release();
    ref?.release();
  }
}
