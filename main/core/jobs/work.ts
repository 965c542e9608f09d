// What each kind of job does, over the core's functions. Every kind reports its stages and
// progress, honours cancel, and records its outcome in SQLite (text sets, runs, tensor stats).
import path from 'node:path';

import type { JobSpec } from '../../contract/api.js';
import { parseTextSource } from '../calibration/text-source.js';
import { loadCalibrationOffThread } from '../calibration/tokenize.js';
import type { Store } from '../db/store.js';
import { defaultThreads, runEvaluation } from '../evaluation.js';
import { PRESETS } from '../quant/presets.js';
import { quantizeWithPreset } from '../quantize-preset.js';
import { getPlan, saveSensitivityReport } from '../db/plans-store.js';
import { measureSensitivity } from '../sensitivity/measure.js';
import type { JobContext, JobWork } from './runner.js';

type Spec<K extends JobSpec['kind']> = Extract<JobSpec, { kind: K }>;

/** Runs the core recorded after `since` for this job: given to its project and linked. */
function adoptRuns(store: Store, ctx: JobContext, projectId: number, since: number, match: (params: Record<string, unknown>) => boolean): void {
  for (const r of store.runs({ limit: 50 })) {
    if (r.id <= since || !match((r.params ?? {}) as Record<string, unknown>)) continue;
    if (r.project_id === null) store.setRunProject(r.id, projectId);
    ctx.linkRun(r.id);
  }
}

function calibrate(store: Store, s: Spec<'calibrate'>): JobWork {
  return async (ctx) => {
    const sets = [];
    for (const [i, file] of s.paths.entries()) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      ctx.stage(`tokenizing ${path.basename(file)}`);
      ctx.progress(i, s.paths.length);
      const source = parseTextSource(file);
      const set = await loadCalibrationOffThread(s.model, source, { sequences: s.sequences, length: s.length, seed: s.seed }, ctx.signal);
      const params = { sequences: s.sequences, length: s.length, seed: s.seed, textTokens: set.textTokens, overlapping: set.overlapping };
      const id = store.addTextSet({ projectId: s.projectId, purpose: 'calibration', sourcePath: file, sourceSha256: set.sha256, params, nTokens: set.tokens.length });
      ctx.log(`${file}: ${set.textTokens} tokens in the text, ${set.tokens.length} sampled (${s.sequences} × ${s.length}, seed ${s.seed})${set.overlapping ? '; windows overlap' : ''}`);
      sets.push({ id, source: file, textTokens: set.textTokens, tokens: set.tokens.length, overlapping: set.overlapping });
    }
    return { textSets: sets };
  };
}

function sensitivity(store: Store, s: Spec<'sensitivity'>): JobWork {
  return async (ctx) => {
    const set = store.textSet(s.textSetId);
    if (!set || set.projectId !== s.projectId) throw new Error(`no text set ${s.textSetId} in this project`);
    const p = set.params as { sequences: number; length: number; seed: number };
    const runId = store.startRun({ kind: 'sensitivity', params: { model: s.model, types: s.types, method: 'rtn' }, projectId: s.projectId, textSetId: set.id });
    ctx.linkRun(runId);
    try {
      const report = await measureSensitivity({
        model: s.model,
        calibration: { source: parseTextSource(set.sourcePath), params: { sequences: p.sequences, length: p.length, seed: p.seed } },
        types: s.types,
        threads: defaultThreads(),
        signal: ctx.signal,
        onProgress: (stage, d, t) => {
          ctx.stage(stage);
          ctx.progress(d, t);
        },
      });
      saveSensitivityReport(store, runId, report);
      store.finishRun(runId, 'done', { results: report });
      ctx.log(`${report.tensors.length} tensors × ${s.types.length} types measured on ${report.calibration.tokens} tokens`);
      return { runId, tensors: report.tensors.length };
    } catch (e) {
      store.finishRun(runId, ctx.signal.aborted ? 'cancelled' : 'failed', { error: (e as Error).message });
      throw e;
    }
  };
}

function quantize(store: Store, s: Spec<'quantize'>): JobWork {
  return async (ctx) => {
    const planId = s.planId ?? null;
    if ((s.type === null) === (planId === null)) throw new Error('give either a type or a saved plan, not both');
    if (s.type !== null && !PRESETS.includes(s.type)) throw new Error(`unknown type ${s.type}; choose one of ${PRESETS.join(', ')}`);
    const saved = planId === null ? undefined : getPlan(store, planId);
    if (planId !== null && (!saved || saved.projectId !== s.projectId)) throw new Error(`no saved plan ${planId} in this project`);
    if (!/\.gguf$/i.test(s.out)) throw new Error('the output file must end in .gguf');
    let calibration;
    if (s.method === 'gptq') {
      const set = s.textSetId === null ? undefined : store.textSet(s.textSetId);
      if (!set || set.projectId !== s.projectId) throw new Error('GPTQ needs a calibration text set of this project (Calibration view)');
      const p = set.params as { sequences: number; length: number; seed: number };
      calibration = { source: parseTextSource(set.sourcePath), params: { sequences: p.sequences, length: p.length, seed: p.seed } };
    }
    const since = store.lastRunId();
    ctx.stage(s.method === 'gptq' ? 'collecting activations' : 'preparing');
    try {
      const r = await quantizeWithPreset({
        model: s.model, ...(saved ? { plan: saved.plan } : { preset: s.type! }), out: s.out, method: s.method, calibration, store, threads: defaultThreads(), signal: ctx.signal,
        onProgress: (d, t) => {
          ctx.stage('quantizing');
          ctx.progress(d, t);
        },
      });
      ctx.log(`wrote ${r.out}: ${(r.bytes / 1048576).toFixed(2)} MiB, ${r.bitsPerWeight.toFixed(3)} bpw in ${r.seconds.toFixed(1)} s`);
      return { out: r.out, bytes: r.bytes, bitsPerWeight: r.bitsPerWeight, runId: r.runId, ...(saved ? { planId: saved.id } : {}) };
    } finally {
      adoptRuns(store, ctx, s.projectId, since, (p) => p.out === s.out);
    }
  };
}

function evaluate(store: Store, s: Spec<'evaluate'>): JobWork {
  return async (ctx) => {
    const since = store.lastRunId();
    try {
      const r = await runEvaluation({
        model: s.model, text: parseTextSource(s.text), nCtx: s.nCtx, reference: s.reference ?? undefined, threads: defaultThreads(),
        store, projectId: s.projectId, signal: ctx.signal, backend: s.backend ?? 'cpu', onNotice: (m) => ctx.log(m),
        onProgress: (d, t, stage) => {
          ctx.stage(stage);
          ctx.progress(d, t);
        },
      });
      const kl = r.meanKl === null ? '' : `, KL ${r.meanKl.toFixed(5)}, top-1 ${(100 * r.top1Agreement!).toFixed(2)}%`;
      ctx.log(`perplexity ${r.ppl.toFixed(4)}${kl} over ${r.scoredPositions} positions`);
      return { runId: r.runId, ppl: r.ppl, meanKl: r.meanKl, top1Agreement: r.top1Agreement };
    } finally {
      adoptRuns(store, ctx, s.projectId, since, (p) => p.model === s.model && p.nCtx === s.nCtx);
    }
  };
}

export function jobWork(store: Store, spec: JobSpec): JobWork {
  if (!store.project(spec.projectId)) throw new Error(`no project with id ${spec.projectId}`);
  switch (spec.kind) {
    case 'calibrate':
      return calibrate(store, spec);
    case 'sensitivity':
      return sensitivity(store, spec);
    case 'quantize':
      return quantize(store, spec);
    case 'evaluate':
      return evaluate(store, spec);
  }
}
