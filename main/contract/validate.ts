// Input validation for every API call, shared by the Electron IPC handlers and the web server:
// arguments from the renderer are untrusted.
import { STUDIO_METHODS, StudioMethod } from './api.js';

export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isName = (v: unknown) => typeof v === 'string' && v.trim().length > 0 && v.length <= 200;
const isPath = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 4096 && !v.includes('\0');

const RULES: Record<StudioMethod, Array<[string, (v: unknown) => boolean]>> = {
  listProjects: [],
  createProject: [['a project name (1–200 characters)', isName]],
  renameProject: [['a project id', isId], ['a project name (1–200 characters)', isName]],
  deleteProject: [['a project id', isId]],
  listRuns: [['a project id or null', (v) => v === null || isId(v)]],
  inspectModel: [['a model path', isPath]],
};

/** Checks a call's method name and arguments; throws InvalidRequestError saying what is wrong. */
export function validateCall(method: unknown, args: unknown): { method: StudioMethod; args: unknown[] } {
  if (typeof method !== 'string' || !(STUDIO_METHODS as readonly string[]).includes(method)) throw new InvalidRequestError(`unknown method ${JSON.stringify(method)}`);
  const m = method as StudioMethod;
  if (!Array.isArray(args)) throw new InvalidRequestError(`${m}: arguments must be a list`);
  const rules = RULES[m];
  if (args.length !== rules.length) throw new InvalidRequestError(`${m} takes ${rules.length} argument(s), got ${args.length}`);
  rules.forEach(([what, ok], i) => {
    if (!ok(args[i])) throw new InvalidRequestError(`${m}: argument ${i + 1} must be ${what}`);
  });
  return { method: m, args };
}
