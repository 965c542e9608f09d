// Sensitivity: for every tensor and candidate type, the bytes and the Hessian-weighted error
// (optionally the end-to-end KL), kept as a report that `lowbit plan` and the studio's planner read.
import type { SensitivityReport } from '../../contract/sensitivity.js';
import { describeTextSource } from '../calibration/text-source.js';
import { saveSensitivityReport } from '../db/plans-store.js';
import { writeAll, writeAtomically } from '../gguf/writer.js';
import { importModel } from '../model/import.js';
import { measureKl } from '../sensitivity/measure-kl.js';
import { checkCandidateTypes, measureSensitivity } from '../sensitivity/measure.js';
import type { Operation } from './runner.js';
import type { SensitivitySpec } from './spec.js';
import { textPath, textSource } from './text.js';

export const sensitivityOperation: Operation<SensitivitySpec, SensitivityReport> = {
  unit: 'blocks',
  files: (s) => ({ inputs: [s.model, textPath(s.calibration.text), ...(s.measureKl ? [textPath(s.measureKl.text)] : [])], outputs: s.out ? [s.out] : [] }),
  async prepare(spec) {
    const types = checkCandidateTypes(spec.types);
    const c = spec.calibration;
    const source = textSource(c.text);
    const sampling = { sequences: c.sequences, length: c.length, seed: c.seed };
    const model = importModel(spec.model);
    return {
      run: {
        kind: 'sensitivity', model, textSetId: c.textSetId,
        params: { model: spec.model, calibration: { source: describeTextSource(source), ...sampling }, types: spec.types, method: spec.method, outputErrorSequences: spec.outputErrorSequences, measureKl: !!spec.measureKl },
      },
      async execute(x) {
        const report = await measureSensitivity({
          model: spec.model, calibration: { source, params: sampling }, types, method: spec.method, outputErrorSequences: spec.outputErrorSequences,
          threads: x.threads, signal: x.signal, onProgress: (stage, d, t) => x.progress(stage, d, t),
        });
        const kl = spec.measureKl;
        if (kl) await measureKl(report, { text: textSource(kl.text), nCtx: kl.nCtx, chunks: kl.chunks, threads: x.threads, signal: x.signal, onProgress: (d, t) => x.progress('measuring KL', d, t) });
        if (spec.out) await writeAtomically(spec.out, (fd) => writeAll(fd, Buffer.from(JSON.stringify(report, null, 1) + '\n'), 0));
        x.log(`${report.tensors.length} tensors × ${types.length} types measured on ${report.calibration.tokens} tokens`);
        return report;
      },
      results: (r) => ({ tensors: r.tensors.length, out: spec.out ?? null }),
      persist: (store, runId, r) => saveSensitivityReport(store, runId, r),
    };
  },
};
