// Imatrix: Σx² of every linear layer's inputs over calibration text, written in llama-imatrix's
// format for `lowbit quantize --imatrix` and llama-quantize alike.
import { computeImatrix, type ImatrixReport } from '../calibration/imatrix-run.js';
import { describeTextSource } from '../calibration/text-source.js';
import { importModel } from '../model/import.js';
import type { Operation } from './runner.js';
import type { ImatrixSpec } from './spec.js';
import { textPath, textSource } from './text.js';

export type ImatrixSummary = Omit<ImatrixReport, 'entries'> & { out: string; tensors: number };

export const imatrixOperation: Operation<ImatrixSpec, ImatrixSummary> = {
  unit: 'chunks',
  files: (s) => ({ inputs: [s.model, textPath(s.text)], outputs: [s.out] }),
  async prepare(spec) {
    const text = textSource(spec.text);
    const model = importModel(spec.model);
    return {
      run: { kind: 'imatrix', model, params: { model: spec.model, text: describeTextSource(text), nCtx: spec.nCtx, out: spec.out, backend: spec.backend ?? 'cpu' } },
      async execute(x) {
        const r = await computeImatrix({
          model: spec.model, text, out: spec.out, nCtx: spec.nCtx, threads: x.threads, backend: spec.backend, signal: x.signal,
          onProgress: (d, t) => x.progress('summing', d, t), onNotice: (m) => x.log(m),
        });
        x.log(`wrote ${spec.out}: ${r.entries.size} tensors, ${r.tokens} tokens in ${r.chunks} chunks`);
        return { out: spec.out, tensors: r.entries.size, backend: r.backend, tokens: r.tokens, chunks: r.chunks, textSha256: r.textSha256 };
      },
    };
  },
};
