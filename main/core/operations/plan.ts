// Plan: the type of every tensor that meets a size target with the least predicted KL, from a
// sensitivity report (a JSON file or a sensitivity run), kept in the store for `quantize --plan`.
import fs from 'node:fs';

import type { PlanFile, SensitivityReport } from '../../contract/sensitivity.js';
import { addPlan, loadSensitivityReport } from '../db/plans-store.js';
import { recordModel } from '../db/models.js';
import { writeAll, writeAtomically } from '../gguf/writer.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { planFromSensitivity } from '../plan/plan.js';
import { readSensitivityReport } from '../sensitivity/report-file.js';
import type { Operation } from './runner.js';
import type { PlanSpec } from './spec.js';

export interface PlanOutcome {
  plan: PlanFile;
  /** the plan's id in the store (null without one) */
  planId: number | null;
  /** whether sizes were laid out for the model file (false: it is gone; sizes come from the report) */
  exactSize: boolean;
  seconds: number;
}

/** The report's model for exact sizes; when its file is gone the sizes come from the report. */
export function reportModel(file: string): ModelDescription | undefined {
  return fs.existsSync(file) ? importModel(file) : undefined;
}

export const planOperation: Operation<PlanSpec, PlanOutcome> = {
  unit: 'plans',
  files: (s) => ({ inputs: [...(s.model ? [s.model] : []), ...('file' in s.sensitivity ? [s.sensitivity.file] : [])], outputs: s.out ? [s.out] : [] }),
  async prepare(spec, ctx) {
    const src = spec.sensitivity;
    let report: SensitivityReport;
    if ('file' in src) report = readSensitivityReport(src.file);
    else {
      if (!ctx.store) throw new Error('a sensitivity run is read from the database: give it one (--db), or the report file (--sensitivity FILE)');
      report = loadSensitivityReport(ctx.store, src.runId);
    }
    // the model given is read (a wrong one is an error); the report's own may be gone
    const model = spec.model !== undefined ? importModel(spec.model) : reportModel(report.model.path);
    return {
      run: null,
      async execute(x) {
        const t0 = performance.now();
        const plan = planFromSensitivity(report, {
          ...(spec.target.kind === 'bpw' ? { targetBpw: spec.target.value } : { targetBytes: spec.target.value }),
          pins: spec.pins ?? {}, minimums: spec.minimums ?? {}, defaultMinimums: spec.defaultMinimums, unreachedType: spec.unreachedType, model,
        });
        const seconds = (performance.now() - t0) / 1000;
        if (spec.out) await writeAtomically(spec.out, (fd) => writeAll(fd, Buffer.from(JSON.stringify(plan, null, 2) + '\n'), 0));
        const planId = x.store
          ? addPlan(x.store, { plan, projectId: x.projectId, modelId: model ? await recordModel(x.store, model, x.projectId) : null, sensitivityRunId: 'runId' in src ? src.runId : null })
          : null;
        x.progress('planned', 1, 1);
        return { plan, planId, exactSize: model !== undefined, seconds };
      },
    };
  },
};
