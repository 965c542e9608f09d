// What each kind of studio job does: it resolves the studio's references (text sets, saved plans)
// into an operation spec and runs it with runOperation, which records the run in the job's project.
import type { JobSpec } from '../../contract/api.js';
import { getPlan } from '../db/plans-store.js';
import type { Store } from '../db/store.js';
import { checkOperation, runOperation } from '../operations/runner.js';
import type { CalibrationSpec, OperationSpec, QuantizeTarget } from '../operations/spec.js';
import type { JobContext, JobWork } from './runner.js';

function calibrationSet(store: Store, projectId: number, textSetId: number | null, what: string): CalibrationSpec {
  const set = textSetId === null ? undefined : store.textSet(textSetId);
  if (!set || set.projectId !== projectId) throw new Error(`${what} needs a calibration text set of this project (Calibration view)`);
  const p = set.params as { sequences: number; length: number; seed: number };
  return { text: set.sourcePath, sequences: p.sequences, length: p.length, seed: p.seed, textSetId: set.id };
}

/** The operation a studio job runs. */
export function operationFor(store: Store, s: JobSpec): OperationSpec {
  switch (s.kind) {
    case 'calibrate':
      return { op: 'calibrate', model: s.model, texts: s.paths, sequences: s.sequences, length: s.length, seed: s.seed };
    case 'sensitivity':
      return { op: 'sensitivity', model: s.model, calibration: calibrationSet(store, s.projectId, s.textSetId, 'A sensitivity measurement'), types: s.types, method: 'rtn', outputErrorSequences: 0 };
    case 'quantize': {
      const planId = s.planId ?? null;
      const saved = planId === null ? undefined : getPlan(store, planId);
      if (planId !== null && (!saved || saved.projectId !== s.projectId)) throw new Error(`no saved plan ${planId} in this project`);
      // both or neither is refused by validateOperation
      const target = { ...(s.type !== null ? { preset: s.type } : {}), ...(saved ? { plan: saved.plan, planId: saved.id } : {}) } as QuantizeTarget;
      const common = { op: 'quantize' as const, model: s.model, out: s.out, target, overwrite: s.overwrite === true };
      return s.method === 'gptq' ? { ...common, method: 'gptq', calibration: calibrationSet(store, s.projectId, s.textSetId, 'GPTQ') } : { ...common, method: 'rtn' };
    }
    case 'evaluate':
      return { op: 'evaluate', model: s.model, text: s.text, nCtx: s.nCtx, ...(s.reference !== null ? { reference: s.reference } : {}), backend: s.backend ?? 'cpu' };
  }
}

/** What a finished job keeps in its row: the headline figures (the run record has the rest). */
const JOB_RESULT_FIELDS: Record<JobSpec['kind'], string[] | null> = {
  calibrate: null,
  sensitivity: ['runId'],
  quantize: ['runId', 'out', 'bytes', 'bitsPerWeight', 'planId'],
  evaluate: ['runId', 'ppl', 'pplError', 'meanKl', 'top1Agreement', 'backend'],
};

function jobResult(kind: JobSpec['kind'], result: object): unknown {
  const r = result as Record<string, unknown>;
  const keys = JOB_RESULT_FIELDS[kind];
  if (!keys) return r;
  const picked = Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
  return kind === 'sensitivity' ? { ...picked, tensors: (r.tensors as unknown[]).length } : picked;
}

export function jobWork(store: Store, spec: JobSpec): JobWork {
  if (!store.project(spec.projectId)) throw new Error(`no project with id ${spec.projectId}`);
  // refused at once, before a job exists: a bad spec, or an output that needs the user's word
  const operation = operationFor(store, spec);
  checkOperation(operation, store);
  return async (ctx: JobContext) =>
    jobResult(spec.kind, await runOperation(operation, {
      store, projectId: spec.projectId, signal: ctx.signal,
      onRun: (runId) => ctx.linkRun(runId),
      onLog: (line) => ctx.log(line),
      onProgress: (p) => {
        ctx.stage(p.stage);
        ctx.progress(p.done, p.total);
      },
    }));
}
