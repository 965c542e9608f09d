// runOperation: the one call behind every host. It validates the spec, lets the operation resolve
// its inputs, then owns what every operation shares: the run record (created with its project,
// finished as done, failed or cancelled), cancellation (one CancelledError) and progress.
import { asCancelled, CancelledError, throwIfCancelled } from '../../engine/cancelled.js';
import { defaultThreads } from '../../engine/threads.js';
import { recordModel } from '../db/models.js';
import type { Store, TextSetRecord } from '../db/store.js';
import type { ModelDescription } from '../model/types.js';
import { calibrateOperation } from './calibrate.js';
import { evaluateOperation } from './evaluate.js';
import { exportOperation } from './export.js';
import { imatrixOperation } from './imatrix.js';
import { checkOutput } from './output.js';
import { planOperation } from './plan.js';
import { quantizeOperation } from './quantize.js';
import { sensitivityOperation } from './sensitivity.js';
import { type OperationName, type OperationSpec, validateOperation } from './spec.js';

export { CancelledError };

/** Progress of the current stage, in the operation's one unit. */
export interface Progress {
  stage: string;
  done: number;
  total: number;
  unit: string;
}

export interface OperationContext {
  /** where runs, models, text sets and statistics are recorded (none: nothing is recorded) */
  store?: Store;
  /** false: the store is only read (a sensitivity run to plan from), nothing is recorded in it */
  record?: boolean;
  projectId?: number | null;
  signal?: AbortSignal;
  threads?: number;
  onProgress?: (p: Progress) => void;
  /** lines worth showing a user: the backend in use, what was written */
  onLog?: (line: string) => void;
  /** the run record, as soon as it exists */
  onRun?: (runId: number) => void;
}

/** What an operation's execute step gets. */
export interface ExecuteContext {
  store?: Store;
  projectId: number | null;
  runId: number | null;
  signal?: AbortSignal;
  threads: number;
  progress(stage: string, done: number, total: number): void;
  log(line: string): void;
}

/** An operation whose inputs are resolved and checked: nothing is recorded or written yet. */
export interface Prepared<R> {
  /** the run record to keep (null: the operation keeps none, e.g. plan and export) */
  run: { kind: string; params: unknown; model?: ModelDescription; textSetId?: number | null; textSet?: Omit<TextSetRecord, 'projectId'> } | null;
  execute(x: ExecuteContext): Promise<R>;
  /** the run's results column (default: the result itself) */
  results?(r: R): unknown;
  /** rows kept beside the run (per-tensor statistics, the sensitivity report) */
  persist?(store: Store, runId: number, r: R): void;
}

export interface Operation<S, R> {
  /** the unit of this operation's progress */
  unit: string;
  /** the files it reads and the files it writes, checked before any work (output.ts) */
  files(spec: S): { inputs: string[]; outputs: string[] };
  prepare(spec: S, ctx: Required<Pick<OperationContext, 'threads'>> & OperationContext): Promise<Prepared<R>>;
}

const OPERATIONS = {
  quantize: quantizeOperation,
  sensitivity: sensitivityOperation,
  evaluate: evaluateOperation,
  imatrix: imatrixOperation,
  plan: planOperation,
  export: exportOperation,
  calibrate: calibrateOperation,
};

type Operations = typeof OPERATIONS;
export type OperationResult<K extends OperationName> = Awaited<ReturnType<Awaited<ReturnType<Operations[K]['prepare']>>['execute']>> & { runId: number | null };

/** The spec is valid and may write where it says (output.ts): what the studio checks before it starts a job. */
export function checkOperation(spec: OperationSpec, store?: Store): void {
  validateOperation(spec);
  const { inputs, outputs } = (OPERATIONS[spec.op] as unknown as Operation<OperationSpec, object>).files(spec);
  for (const out of outputs) checkOutput(out, { inputs, store, overwrite: spec.overwrite });
}

export async function runOperation<S extends OperationSpec>(spec: S, context: OperationContext = {}): Promise<OperationResult<S['op']>> {
  checkOperation(spec, context.store);
  const op = OPERATIONS[spec.op] as unknown as Operation<S, object>;
  const ctx = { ...context, threads: context.threads ?? defaultThreads() };
  const { signal } = ctx;
  const projectId = ctx.projectId ?? null;
  throwIfCancelled(signal);
  let prepared: Prepared<object>;
  try {
    prepared = await op.prepare(spec, ctx);
  } catch (e) {
    throw asCancelled(e, signal);
  }
  const t0 = performance.now();
  let runId: number | null = null;
  const recording = ctx.record !== false ? ctx.store : undefined;
  if (recording && prepared.run) {
    const r = prepared.run;
    const modelId = r.model ? await recordModel(recording, r.model, projectId) : null;
    const textSetId = r.textSetId ?? (r.textSet ? recording.addTextSet({ ...r.textSet, projectId }) : null);
    runId = recording.startRun({ kind: r.kind, params: r.params, projectId, modelId, textSetId });
    ctx.onRun?.(runId);
  }
  try {
    throwIfCancelled(signal);
    const result = await prepared.execute({
      store: recording, projectId, runId, signal, threads: ctx.threads,
      progress: (stage, done, total) => ctx.onProgress?.({ stage, done, total, unit: op.unit }),
      log: (line) => ctx.onLog?.(line),
    });
    if (runId !== null) {
      recording!.db.transaction(() => {
        prepared.persist?.(recording!, runId!, result);
        recording!.finishRun(runId!, 'done', { results: prepared.results ? prepared.results(result) : result, timings: { total: (performance.now() - t0) / 1000 } });
      })();
    }
    return { ...result, runId } as OperationResult<S['op']>;
  } catch (e) {
    const outcome = asCancelled(e, signal);
    if (runId !== null) recording!.finishRun(runId, outcome instanceof CancelledError ? 'cancelled' : 'failed', { error: (outcome as Error).message });
    throw outcome;
  }
}
