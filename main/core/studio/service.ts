// The studio's API implemented over the core: the store and the model importers.
import type { ModelSummary, Project, RunSummary, StudioApi } from '../../contract/api.js';
import type { ProjectRow, RunRow, Store } from '../db/store.js';
import { importModel } from '../model/import.js';

const project = (r: ProjectRow): Project => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at });
const run = (r: RunRow): RunSummary => ({
  id: r.id, projectId: r.project_id, kind: r.kind, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at, results: r.results, error: r.error,
});

export function studioService(store: Store): StudioApi {
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
      store.deleteProject(id);
    },
    async listRuns(projectId) {
      return store.runs(projectId === null ? { limit: 100 } : { projectId, limit: 100 }).map(run);
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
  };
}
