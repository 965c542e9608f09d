// The one API every host offers the renderer (Electron IPC, the local web server). The renderer
// imports nothing from main/ but this folder.
import type { SensitivityReport } from './sensitivity.js';

export type { SensitivityReport, TensorSensitivity, SensitivityCandidate } from './sensitivity.js';

export interface Project {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export type Status = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface RunSummary {
  id: number;
  projectId: number | null;
  kind: string;
  status: Status;
  startedAt: string;
  finishedAt: string | null;
  params: unknown;
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

/** Where an evaluation's forward passes run (the CLI's --backend): a missing GPU backend falls back to the CPU. */
export const BACKEND_CHOICES = ['cpu', 'webgpu', 'cuda', 'auto'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Long work the studio starts; every kind reports stage, progress, ETA and log lines, and can be cancelled. */
export type JobSpec =
  | { kind: 'calibrate'; projectId: number; model: string; paths: string[]; sequences: number; length: number; seed: number }
  | { kind: 'sensitivity'; projectId: number; model: string; textSetId: number; types: string[] }
  /** exactly one of type (a llama.cpp type or mix) and planId (a saved plan, savePlan) */
  | { kind: 'quantize'; projectId: number; model: string; type: string | null; planId?: number | null; method: 'rtn' | 'gptq'; out: string; textSetId: number | null; overwrite?: boolean }
  | { kind: 'evaluate'; projectId: number; model: string; reference: string | null; text: string; nCtx: number; backend?: BackendChoice };

export type JobKind = JobSpec['kind'];
export const JOB_KINDS: readonly JobKind[] = ['calibrate', 'sensitivity', 'quantize', 'evaluate'];

export interface JobInfo {
  id: number;
  projectId: number | null;
  /** the run the core recorded for this job, once it exists */
  runId: number | null;
  kind: JobKind;
  spec: JobSpec;
  status: Status;
  stage: string;
  /** 0..1 of the current stage */
  progress: number;
  etaSeconds: number | null;
  /** the last lines of the job's log (listJobs), or [] in events */
  log: string[];
  result: unknown;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** Pushed to the renderer while jobs run: the job's state, and the log line that came with it. */
export interface JobEvent {
  job: JobInfo;
  line?: string;
}

export interface TextSetInfo {
  id: number;
  purpose: 'calibration' | 'evaluation';
  source: string;
  sha256: string;
  params: { sequences?: number; length?: number; seed?: number; textTokens?: number; overlapping?: boolean };
  /** tokens in the sampled set (sequences × length) */
  tokens: number;
  createdAt: string;
}

export interface PlanTarget {
  kind: 'bpw' | 'bytes';
  value: number;
}

/** A plan as `lowbit plan` makes it (planFromSensitivity): pins, per-kind minimums, exact file size. */
export interface PlanResult {
  /** tensor name → chosen type */
  tensors: Record<string, string>;
  /** bytes of the whole file (header and every tensor) */
  bytes: number;
  /** bits of the quantizable tensors over their weights (header and fixed tensors not counted) */
  bitsPerWeight: number;
  /** predicted mean KL divergence (or summed error when the report has no KL to fit) */
  predictedKl: number;
  basis: 'kl-fit' | 'error';
  /** the allocation was solved exactly (small instances) rather than by the Lagrangian greedy */
  exact: boolean;
  /** sizes were laid out for the model file (false: the model file was not found; sizes from the report) */
  exactSize: boolean;
  flagged: Array<{ name: string; type: string; reason: string }>;
  notes: string[];
  /** the smallest and largest plans the constraints and pins allow */
  bounds: { minBpw: number; maxBpw: number; minBytes: number; maxBytes: number };
  /** weights of the quantizable tensors */
  weights: number;
}

/** A plan kept in the store, which a quantize job can execute (JobSpec quantize, planId). */
export interface SavedPlan {
  id: number;
  projectId: number | null;
  sensitivityRunId: number | null;
  model: string;
  target: PlanTarget;
  bytes: number;
  bitsPerWeight: number;
  predictedKl: number;
  /** what predictedKl is: a KL fitted on measured single-tensor KLs, or the summed error (ranks plans only) */
  basis: 'kl-fit' | 'error';
  /** how many tensors the user pinned */
  pins: number;
  /** type → number of tensors */
  types: Record<string, number>;
  createdAt: string;
}

/** One entry of a server-side folder listing (web mode's file browser). */
export interface DirEntry {
  name: string;
  path: string;
  kind: 'dir' | 'gguf' | 'hf' | 'bin';
}

export interface DirListing {
  path: string;
  parent: string | null;
  entries: DirEntry[];
}

export interface TensorComparison {
  tensor: string;
  layer: number | null;
  kind: string;
  a: { type: string; bytes: number; error: number | null } | null;
  b: { type: string; bytes: number; error: number | null } | null;
}

export interface GgufPreview {
  path: string;
  bytes: number;
  version: number;
  tensors: number;
  types: Record<string, number>;
  /** metadata keys with a short text form of each value (long arrays summarised) */
  metadata: Array<{ key: string; value: string }>;
}

export interface LlamaCheck {
  ok: boolean;
  message: string;
  layers?: number;
  trainContext?: number;
  /** the token llama.cpp predicts after the prompt, as a check that it evaluated */
  prediction?: string;
}

/** Calls that return a value; each is validated (validate.ts) in every host. */
export interface StudioCalls {
  listProjects(): Promise<Project[]>;
  createProject(name: string): Promise<Project>;
  renameProject(id: number, name: string): Promise<void>;
  deleteProject(id: number): Promise<void>;
  listRuns(projectId: number | null): Promise<RunSummary[]>;
  inspectModel(path: string): Promise<ModelSummary>;
  quantizeTypes(): Promise<string[]>;
  startJob(spec: JobSpec): Promise<JobInfo>;
  cancelJob(id: number): Promise<void>;
  listJobs(projectId: number | null): Promise<JobInfo[]>;
  listTextSets(projectId: number): Promise<TextSetInfo[]>;
  sensitivity(runId: number): Promise<SensitivityReport>;
  importSensitivity(projectId: number, path: string): Promise<RunSummary>;
  plan(runId: number, target: PlanTarget, pins: Record<string, string>): Promise<PlanResult>;
  savePlan(runId: number, target: PlanTarget, pins: Record<string, string>): Promise<SavedPlan>;
  listPlans(projectId: number): Promise<SavedPlan[]>;
  compareRuns(a: number, b: number): Promise<TensorComparison[]>;
  /** overwrite: the user confirmed replacing an existing file (never a model or a run's own file) */
  exportRun(runId: number, path: string, overwrite?: boolean): Promise<GgufPreview>;
  /** the project's own folder under the data directory, where its files go unless the user says otherwise */
  outputFolder(projectId: number): Promise<string>;
  ggufPreview(path: string): Promise<GgufPreview>;
  checkLlamaCpp(path: string): Promise<LlamaCheck>;
  /** web mode's file browser: a folder's subfolders, .gguf/.bin files and Hugging Face folders */
  listDir(path: string): Promise<DirListing>;
}

export interface StudioApi extends StudioCalls {
  /** job events as they happen; returns a function that stops them */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** Electron only: the native open-file dialog (null when cancelled); absent in web mode */
  chooseFile?(options: ChooseFileOptions): Promise<string | null>;
}

export interface ChooseFileOptions {
  title: string;
  /** 'file': a model file (.gguf, .bin); 'folder': a Hugging Face folder */
  kind: 'file' | 'folder';
}

/** Electron's channel for the native dialog, handled in the main process (not the engine). */
export const CHOOSE_FILE_CHANNEL = 'studio:choose-file';

export type StudioMethod = keyof StudioCalls;
export const STUDIO_METHODS: readonly StudioMethod[] = [
  'listProjects', 'createProject', 'renameProject', 'deleteProject', 'listRuns', 'inspectModel', 'quantizeTypes',
  'startJob', 'cancelJob', 'listJobs', 'listTextSets', 'sensitivity', 'importSensitivity', 'plan', 'savePlan', 'listPlans',
  'compareRuns', 'exportRun', 'outputFolder', 'ggufPreview', 'checkLlamaCpp', 'listDir',
];

/** Channel names shared by the Electron hosts. */
export const STUDIO_CHANNEL = 'studio:call';
export const EVENTS_PORT_CHANNEL = 'studio:events-port';
