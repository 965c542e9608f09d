// The candidate types a sensitivity measurement was asked for but could not apply to a tensor,
// with the reason, so that no type is dropped without a word.
import type { SensitivityReport } from '../../contract/sensitivity.js';
import { ggmlTypeByName, rowsFit, rowWidthProblem } from '../gguf/ggml-types.js';

/** Fills each tensor's `unfit` from the types that were asked for (in place) and returns the report. */
export function explainUnfit(report: SensitivityReport, requested: readonly string[]): SensitivityReport {
  for (const t of report.tensors) {
    const have = new Set(t.candidates.map((c) => c.type));
    const unfit = requested
      .filter((type) => !have.has(type))
      .map((type) => {
        const geometry = ggmlTypeByName(type);
        const reason = geometry && !rowsFit(geometry, t.ne[0]) ? rowWidthProblem(geometry, t.ne[0]) : `${type} was not measured for this tensor`;
        return { type, reason };
      });
    if (unfit.length) t.unfit = unfit;
    else delete t.unfit;
  }
  return report;
}
