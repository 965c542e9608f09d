// The one API every host offers the renderer (Electron IPC, the local web server). The renderer
// imports nothing from main/ but this folder.

export interface Project {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface RunSummary {
  id: number;
  projectId: number | null;
  kind: string;
  status: 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  results: unknown;
  error: string | null;
}

export interface TensorRow {
  name: string;
  type: string;
  ne: number[];
  bytes: number;
}

export interface ModelSummary {
  path: string;
  format: string;
  name: string;
  architecture: string;
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  vocabulary: number;
  parameters: number;
  bytes: number;
  tensors: TensorRow[];
}

export interface StudioApi {
  listProjects(): Promise<Project[]>;
  createProject(name: string): Promise<Project>;
  renameProject(id: number, name: string): Promise<void>;
  deleteProject(id: number): Promise<void>;
  listRuns(projectId: number | null): Promise<RunSummary[]>;
  inspectModel(path: string): Promise<ModelSummary>;
}

export type StudioMethod = keyof StudioApi;
export const STUDIO_METHODS: readonly StudioMethod[] = ['listProjects', 'createProject', 'renameProject', 'deleteProject', 'listRuns', 'inspectModel'];
