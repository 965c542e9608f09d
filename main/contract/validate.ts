// Input validation for every API call, shared by the Electron IPC handlers and the web server:
// arguments from the renderer are untrusted.
import { BACKEND_CHOICES, JOB_KINDS, STUDIO_METHODS, StudioMethod } from './api.js';

export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

type Check = (v: unknown) => boolean;

const isId: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0;
const isName: Check = (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= 200;
const isPath: Check = (v) => typeof v === 'string' && v.length > 0 && v.length <= 4096 && !v.includes('\0');
const isType: Check = (v) => typeof v === 'string' && /^[A-Z][A-Z0-9_]{1,15}$/.test(v);
const intIn = (lo: number, hi: number): Check => (v) => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (check: Check, min: number, max: number): Check => (v) => Array.isArray(v) && v.length >= min && v.length <= max && v.every(check);

/** An object with exactly these keys, each passing its check; returns the first problem or null. */
function shapeProblem(v: unknown, fields: Record<string, [string, Check]>): string | null {
  if (!isObject(v)) return 'an object';
  for (const k of Object.keys(v)) if (!(k in fields)) return `without the unknown field "${k}"`;
  for (const [k, [what, ok]] of Object.entries(fields)) if (!ok(v[k])) return `with "${k}" ${what}`;
  return null;
}

const project: [string, Check] = ['a project id', isId];
const model: [string, Check] = ['a model path', isPath];
const JOB_FIELDS: Record<string, Record<string, [string, Check]>> = {
  calibrate: {
    kind: ['"calibrate"', (v) => v === 'calibrate'], projectId: project, model,
    paths: ['1–16 text file paths', listOf(isPath, 1, 16)],
    sequences: ['a whole number of sequences (1–100000)', intIn(1, 100_000)],
    length: ['a sequence length of 2–131072 tokens', intIn(2, 131_072)],
    seed: ['a seed (0–4294967295)', intIn(0, 4_294_967_295)],
  },
  sensitivity: {
    kind: ['"sensitivity"', (v) => v === 'sensitivity'], projectId: project, model,
    textSetId: ['a text set id', isId],
    types: ['1–32 ggml type names', listOf(isType, 1, 32)],
  },
  quantize: {
    kind: ['"quantize"', (v) => v === 'quantize'], projectId: project, model,
    type: ['a type or preset name, or null with a plan id', (v) => v === null || isType(v)],
    planId: ['a saved plan id, null or absent', (v) => v === undefined || v === null || isId(v)],
    method: ['"rtn" or "gptq"', (v) => v === 'rtn' || v === 'gptq'],
    out: ['an output path', isPath],
    textSetId: ['a text set id or null', (v) => v === null || isId(v)],
    overwrite: ['true, false or absent', (v) => v === undefined || typeof v === 'boolean'],
  },
  evaluate: {
    kind: ['"evaluate"', (v) => v === 'evaluate'], projectId: project, model,
    reference: ['a reference model path or null', (v) => v === null || isPath(v)],
    text: ['an evaluation text path (FILE or FILE@START:END)', isPath],
    nCtx: ['a context length of 8–131072', intIn(8, 131_072)],
    backend: [`one of ${BACKEND_CHOICES.join(', ')}, or absent`, (v) => v === undefined || (BACKEND_CHOICES as readonly unknown[]).includes(v)],
  },
};

const isJobSpec = (v: unknown): string | null => {
  if (!isObject(v) || !(JOB_KINDS as readonly unknown[]).includes(v.kind)) return `a job whose kind is one of ${JOB_KINDS.join(', ')}`;
  const p = shapeProblem(v, JOB_FIELDS[v.kind as string]);
  return p && `a ${v.kind as string} job ${p}`;
};

const isTarget: Check = (v) =>
  shapeProblem(v, {
    kind: ['', (k) => k === 'bpw' || k === 'bytes'],
    value: ['', (x) => typeof x === 'number' && Number.isFinite(x) && x > 0],
  }) === null;

const isPins: Check = (v) => isObject(v) && Object.keys(v).length <= 100_000 && Object.entries(v).every(([k, t]) => k.length > 0 && k.length <= 256 && isType(t));

/** Each argument: a description and a check that returns true, or a string saying what is wrong; optional ones come last. */
type Rule = [string, (v: unknown) => boolean | string | null, 'optional'?];

const RULES: Record<StudioMethod, Rule[]> = {
  listProjects: [],
  createProject: [['a project name (1–200 characters)', isName]],
  renameProject: [['a project id', isId], ['a project name (1–200 characters)', isName]],
  deleteProject: [['a project id', isId]],
  listRuns: [['a project id or null', (v) => v === null || isId(v)]],
  inspectModel: [['a model path', isPath]],
  quantizeTypes: [],
  startJob: [['a job', (v) => isJobSpec(v) ?? true]],
  cancelJob: [['a job id', isId]],
  listJobs: [['a project id or null', (v) => v === null || isId(v)]],
  listTextSets: [['a project id', isId]],
  sensitivity: [['a run id', isId]],
  importSensitivity: [['a project id', isId], ['a sensitivity report path (.json)', isPath]],
  plan: [['a run id', isId], ['a target {kind: "bpw" | "bytes", value > 0}', isTarget], ['pins: tensor name → type', isPins]],
  savePlan: [['a run id', isId], ['a target {kind: "bpw" | "bytes", value > 0}', isTarget], ['pins: tensor name → type', isPins]],
  listPlans: [['a project id', isId]],
  compareRuns: [['a run id', isId], ['a run id', isId]],
  exportRun: [['a run id', isId], ['an output path', isPath], ['true to replace an existing file', (v) => v === null || typeof v === 'boolean', 'optional']],
  outputFolder: [['a project id', isId]],
  ggufPreview: [['a GGUF path', isPath]],
  checkLlamaCpp: [['a GGUF path', isPath]],
  listDir: [['an absolute folder path', (v) => isPath(v) && /^(\/|[A-Za-z]:[\\/])/.test(v as string)]],
};

/** Checks a call's method name and arguments; throws InvalidRequestError saying what is wrong. */
export function validateCall(method: unknown, args: unknown): { method: StudioMethod; args: unknown[] } {
  if (typeof method !== 'string' || !(STUDIO_METHODS as readonly string[]).includes(method)) throw new InvalidRequestError(`unknown method ${JSON.stringify(method)}`);
  const m = method as StudioMethod;
  if (!Array.isArray(args)) throw new InvalidRequestError(`${m}: arguments must be a list`);
  const rules = RULES[m];
  const required = rules.filter((r) => r[2] !== 'optional').length;
  if (args.length < required || args.length > rules.length)
    throw new InvalidRequestError(`${m} takes ${required === rules.length ? required : `${required} to ${rules.length}`} argument(s), got ${args.length}`);
  rules.slice(0, args.length).forEach(([what, ok], i) => {
    const r = ok(args[i]);
    if (r !== true) throw new InvalidRequestError(`${m}: argument ${i + 1} must be ${typeof r === 'string' ? r : what}`);
  });
  return { method: m, args };
}
