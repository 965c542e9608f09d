// The studio's API implemented over the core: the store, the model importers, the job runner.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { JobInfo, ModelSummary, PlanTarget, Project, RunSummary, SensitivityReport, StudioApi, TensorComparison, TextSetInfo } from '../../contract/api.js';
import { getPlan, listPlans, loadSensitivityReport, saveSensitivityReport } from '../db/plans-store.js';
import type { ProjectRow, RunRow, Store, TextSetRow } from '../db/store.js';
import { JobRunner } from '../jobs/runner.js';
import { jobWork } from '../jobs/work.js';
import { importModel } from '../model/import.js';
import type { ModelDescription } from '../model/types.js';
import { reportModel } from '../operations/plan.js';
import { runOperation } from '../operations/runner.js';
import { PRESETS } from '../quant/presets.js';
import { ggufPreview } from '../gguf/preview.js';
import { checkLlamaCpp } from './llama-check.js';
import { listDir } from './list-dir.js';
import { makePlan, PlanBounds, planBounds, planResult, savedPlan, weightsOf } from './plan.js';
import { readSensitivityReport } from '../sensitivity/report-file.js';
import { explainUnfit } from '../sensitivity/unfit.js';

const project = (r: ProjectRow): Project => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at });
const run = (r: RunRow): RunSummary => ({
  id: r.id, projectId: r.project_id, kind: r.kind, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at, params: r.params, results: r.results, error: r.error,
});
const textSet = (t: TextSetRow): TextSetInfo => ({
  id: t.id, purpose: t.purpose, source: t.sourcePath, sha256: t.sourceSha256, params: t.params, tokens: t.nTokens, createdAt: t.createdAt,
});

/** A sensitivity run's report; databases from before the sensitivity_reports table kept it in the run's results. */
function storedReport(store: Store, r: RunRow): SensitivityReport {
  const legacy = r.results as SensitivityReport | null;
  const kept = store.db.prepare('SELECT 1 FROM sensitivity_reports WHERE run_id = ?').get(r.id);
  return !kept && legacy?.version === 1 && Array.isArray(legacy.tensors) ? legacy : loadSensitivityReport(store, r.id);
}

export interface StudioService extends StudioApi {
  /** resolves when every job started so far has settled */
  idle(): Promise<void>;
}

export function studioService(store: Store): StudioService {
  const runner = new JobRunner(store);
  const reports = new Map<number, SensitivityReport>();

  function report(runId: number): SensitivityReport {
    const cached = reports.get(runId);
    if (cached) return cached;
    const r = store.run(runId);
    if (!r || r.kind !== 'sensitivity') throw new Error(`run ${runId} is not a sensitivity run`);
    if (r.status !== 'done') throw new Error(`sensitivity run ${runId} is ${r.status}`);
    const asked = (r.params as { types?: unknown } | null)?.types;
    const rep = Array.isArray(asked) ? explainUnfit(storedReport(store, r), asked as string[]) : storedReport(store, r);
    if (reports.size >= 8) reports.delete(reports.keys().next().value!);
    reports.set(runId, rep);
    return rep;
  }

  // The measured model, for exact file sizes; undefined when its file is gone (sizes from the report).
  const models = new Map<number, ModelDescription | undefined>();
  function modelOf(runId: number): ModelDescription | undefined {
    if (!models.has(runId)) {
      const d = reportModel(report(runId).model.path);
      if (models.size >= 8) models.delete(models.keys().next().value!);
      models.set(runId, d);
    }
    return models.get(runId);
  }
  const bounds = new Map<string, PlanBounds>();
  function boundsOf(runId: number, pins: Record<string, string>): PlanBounds {
    const key = `${runId}\u0000${JSON.stringify(Object.entries(pins).sort())}`;
    let b = bounds.get(key);
    if (!b) {
      b = planBounds(report(runId), pins, modelOf(runId));
      if (bounds.size >= 32) bounds.delete(bounds.keys().next().value!);
      bounds.set(key, b);
    }
    return b;
  }
  function planFor(runId: number, target: PlanTarget, pins: Record<string, string>) {
    return makePlan(report(runId), target, pins, modelOf(runId));
  }

  function quantizeRun(id: number): RunRow {
    const r = store.run(id);
    if (!r || r.kind !== 'quantize') throw new Error(`run ${id} is not a quantize run`);
    return r;
  }

  return {
    async listProjects() {
      return store.projects().map(project);
    },
    async createProject(name) {
      return project(store.createProject(name));
    },
    async renameProject(id, name) {
      store.renameProject(id, name);
    },
    async deleteProject(id) {
      if (runner.list(id).some((j) => j.status === 'running')) throw new Error('the project has running jobs: cancel them first');
      store.deleteProject(id);
    },
    async listRuns(projectId) {
      return store.runs(projectId === null ? { limit: 200 } : { projectId, limit: 200 }).map(run);
    },
    async inspectModel(path): Promise<ModelSummary> {
      const d = importModel(path);
      const h = d.hparams;
      return {
        path: d.path, format: d.format, name: d.name, architecture: h.architecture, layers: h.nLayer, embedding: h.nEmbd,
        heads: h.nHead, kvHeads: h.nHeadKv, vocabulary: h.nVocab,
        parameters: d.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0),
        bytes: d.tensors.reduce((s, t) => s + t.nbytes, 0),
        tensors: d.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, bytes: t.nbytes })),
      };
    },
    async quantizeTypes() {
      return [...PRESETS];
    },
    async startJob(spec): Promise<JobInfo> {
      return runner.duplicate(spec) ?? runner.start(spec, jobWork(store, spec));
    },
    async cancelJob(id) {
      runner.cancel(id);
    },
    async listJobs(projectId) {
      return runner.list(projectId);
    },
    async listTextSets(projectId) {
      return store.textSets(projectId).map(textSet);
    },
    async sensitivity(runId) {
      return report(runId);
    },
    async importSensitivity(projectId, file) {
      if (!store.project(projectId)) throw new Error(`no project with id ${projectId}`);
      const rep = readSensitivityReport(file);
      const id = store.startRun({ kind: 'sensitivity', params: { file: path.resolve(file), model: rep.model.path, method: rep.method }, projectId });
      saveSensitivityReport(store, id, rep);
      store.finishRun(id, 'done', { results: { tensors: rep.tensors.length, file: path.resolve(file) } });
      return run(store.run(id)!);
    },
    async plan(runId, target, pins) {
      const b = boundsOf(runId, pins);
      return planResult(planFor(runId, target, pins), b, weightsOf(report(runId)), modelOf(runId) !== undefined);
    },
    async savePlan(runId, target, pins) {
      const r = await runOperation({ op: 'plan', sensitivity: { runId }, target, pins }, { store, projectId: store.run(runId)?.project_id ?? null });
      return savedPlan(getPlan(store, r.planId!)!);
    },
    async listPlans(projectId) {
      return listPlans(store, { projectId }).map(savedPlan);
    },
    async listDir(folder) {
      return listDir(folder);
    },
    async compareRuns(a, b): Promise<TensorComparison[]> {
      const ra = quantizeRun(a);
      quantizeRun(b);
      // errors from the project's latest sensitivity measurement, when there is one
      const sens = store.runs(ra.project_id === null ? {} : { projectId: ra.project_id }).find((r) => r.kind === 'sensitivity' && r.status === 'done');
      const errors = new Map((sens ? store.tensorStats(sens.id) : []).map((s) => [`${s.tensor}\u0000${s.type}`, s.error ?? null]));
      const rows = new Map<string, TensorComparison>();
      for (const [side, id] of [['a', a], ['b', b]] as const)
        for (const s of store.tensorStats(id)) {
          const row = rows.get(s.tensor) ?? { tensor: s.tensor, layer: s.layer, kind: s.kind, a: null, b: null };
          row[side] = { type: s.type, bytes: s.bytes, error: errors.get(`${s.tensor}\u0000${s.type}`) ?? null };
          rows.set(s.tensor, row);
        }
      return [...rows.values()];
    },
    async exportRun(runId, out, overwrite) {
      return runOperation({ op: 'export', runId, out, overwrite: overwrite === true }, { store, projectId: store.run(runId)?.project_id ?? null });
    },
    async outputFolder(projectId) {
      if (!store.project(projectId)) throw new Error(`no project with id ${projectId}`);
      const base = store.file === ':memory:' ? path.join(os.tmpdir(), 'lowbit-studio') : path.dirname(path.resolve(store.file));
      const dir = path.join(base, 'projects', String(projectId));
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    },
    async ggufPreview(file) {
      return ggufPreview(file);
    },
    async checkLlamaCpp(file) {
      if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
      return checkLlamaCpp(file);
    },
    onJobEvent(listener) {
      return runner.on(listener);
    },
    idle() {
      return runner.idle();
    },
  };
}
