// One typed spec per operation, as llama-quantize has one params struct: the CLI, the studio's job
// runner and IPC build one of these and hand it to runOperation (runner.ts). validateOperation is
// the only place where the rules between fields are checked.
import { BACKEND_CHOICES, type BackendChoice, type PlanTarget } from '../../contract/api.js';
import type { PlanFile } from '../../contract/sensitivity.js';
import type { TextSource } from '../calibration/text-source.js';
import { PRESETS } from '../quant/presets.js';

/** A text file: FILE or FILE@START:END as the CLI takes it, or the parsed form. */
export type TextArg = string | TextSource;

/** Calibration text: a file (FILE or FILE@START:END) sampled into sequences; textSetId when the store already has it. */
export interface CalibrationSpec {
  text: TextArg;
  sequences: number;
  length: number;
  seed: number;
  textSetId?: number;
}

/** GPTQ's knobs; a missing one takes the engine's default (native gptqDefaults). */
export interface GptqOptions {
  /** λ: λ·mean(diag H) is added to H's diagonal (raised automatically while H is not positive definite) */
  damp?: number;
  /** columns per lazy-update block: only the order of the float operations depends on it */
  blockSize?: number;
  /** quantize whole ggml blocks in order of decreasing diag(H) */
  actOrder?: boolean;
  /** QEP: correct each layer for the error of the quantized layers before it, with strength α */
  qep?: boolean;
  qepAlpha?: number;
}

export type QuantizeMethod = { method: 'rtn'; imatrix?: string } | { method: 'gptq'; calibration: CalibrationSpec; gptq?: GptqOptions };

/** What each tensor becomes: a llama.cpp type or mix, or a plan (from `lowbit plan` or a saved plan). */
export type QuantizeTarget = { preset: string; pure?: boolean } | { plan: PlanFile; planId?: number };

export type QuantizeSpec = { op: 'quantize'; model: string; out: string; target: QuantizeTarget; allowRequantize?: boolean } & QuantizeMethod;

export interface SensitivitySpec {
  op: 'sensitivity';
  model: string;
  calibration: CalibrationSpec;
  /** candidate types (F16 is always added) */
  types: string[];
  method: 'rtn' | 'gptq';
  /** > 0: also the error reaching each block's output, on this many sequences */
  outputErrorSequences: number;
  /** also the end-to-end KL of each (tensor, type) on separate text */
  measureKl?: { text: TextArg; nCtx: number; chunks: number };
  /** also write the report as JSON here */
  out?: string;
}

export interface EvaluateSpec {
  op: 'evaluate';
  model: string;
  text: TextArg;
  nCtx: number;
  reference?: string;
  backend?: BackendChoice;
}

export interface ImatrixSpec {
  op: 'imatrix';
  model: string;
  text: TextArg;
  nCtx: number;
  out: string;
  backend?: BackendChoice;
}

export interface PlanSpec {
  op: 'plan';
  /** the model the report measured, for exact file sizes (default: the report's own, when it is still there) */
  model?: string;
  /** the sensitivity report: a JSON file, or a sensitivity run in the store */
  sensitivity: { file: string } | { runId: number };
  target: PlanTarget;
  pins?: Record<string, string>;
  minimums?: Record<string, string>;
  defaultMinimums?: boolean;
  unreachedType?: string;
  /** also write the plan as JSON here */
  out?: string;
}

export interface ExportSpec {
  op: 'export';
  runId: number;
  out: string;
}

export interface CalibrateSpec {
  op: 'calibrate';
  model: string;
  texts: TextArg[];
  sequences: number;
  length: number;
  seed: number;
}

/** Every operation may be told to replace an existing output file (never an input or a recorded file). */
export type OperationSpec = (QuantizeSpec | SensitivitySpec | EvaluateSpec | ImatrixSpec | PlanSpec | ExportSpec | CalibrateSpec) & { overwrite?: boolean };
export type OperationName = OperationSpec['op'];
export type SpecOf<K extends OperationName> = Extract<OperationSpec, { op: K }>;

export class InvalidOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOperationError';
  }
}

function fail(message: string): never {
  throw new InvalidOperationError(message);
}

const isWhole = (v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;

const isPath = (v: unknown) => typeof v === 'string' && v.length > 0 && !v.includes('\0');

function needPath(v: unknown, what: string): void {
  if (!isPath(v)) fail(`${what} must be a file path`);
}

function needText(v: unknown, what: string): void {
  if (!isPath(v) && !(typeof v === 'object' && v !== null && isPath((v as TextSource).path))) fail(`${what} must be a text file (FILE or FILE@START:END)`);
}

function needGguf(out: unknown, what: string): void {
  needPath(out, what);
  if (!/\.gguf$/i.test(out as string)) fail(`${what} must end in .gguf`);
}

function needCalibration(c: CalibrationSpec | undefined, what: string): void {
  if (!c) fail(`${what} needs calibration text (--calib FILE, or a calibration text set in the studio)`);
  needText(c.text, 'the calibration text');
  if (!isWhole(c.sequences, 1)) fail('the calibration sequences must be a positive whole number');
  if (!isWhole(c.length, 2)) fail('the calibration sequence length must be at least 2 tokens');
  if (!isWhole(c.seed, 0, 4_294_967_295)) fail('the calibration seed must be a whole number between 0 and 4294967295');
}

function needBackend(b: unknown): void {
  if (b !== undefined && !(BACKEND_CHOICES as readonly unknown[]).includes(b)) fail(`the backend must be one of ${BACKEND_CHOICES.join(', ')}`);
}

function validateQuantize(s: QuantizeSpec): void {
  needPath(s.model, 'the model');
  needGguf(s.out, 'the output file');
  const t = s.target as { preset?: unknown; plan?: unknown; pure?: unknown } | undefined;
  if (!t || (t.preset === undefined) === (t.plan === undefined)) fail('give either --type PRESET or --plan PLAN.json (one of them)');
  if (t.preset !== undefined && !PRESETS.includes(t.preset as string)) fail(`unknown type ${String(t.preset)}; choose one of ${PRESETS.join(', ')}`);
  if (t.plan !== undefined && t.pure) fail('--pure applies to presets (--type); a plan already gives every tensor its type');
  if (s.method === 'gptq') {
    needCalibration(s.calibration, 'GPTQ');
    if ((s as { imatrix?: unknown }).imatrix !== undefined) fail('GPTQ computes its own statistics from the calibration text; drop --imatrix');
    const g = s.gptq ?? {};
    if (g.damp !== undefined && !(g.damp > 0)) fail('--damp must be a positive number');
    if (g.blockSize !== undefined && !isWhole(g.blockSize, 1)) fail('--gptq-block must be a positive whole number');
    if (g.qepAlpha !== undefined && !(g.qepAlpha > 0 && g.qepAlpha <= 1)) fail('--qep-alpha must be between 0 and 1');
    if (g.qepAlpha !== undefined && !g.qep) fail('--qep-alpha applies with --qep');
  } else if (s.method === 'rtn') {
    const extra = s as { calibration?: unknown; gptq?: unknown; imatrix?: unknown };
    if (extra.gptq !== undefined) fail('--act-order, --qep, --damp and --gptq-block apply to --method gptq');
    if (extra.calibration !== undefined) fail('round to nearest takes no calibration text: use --method gptq, or an importance matrix (--imatrix)');
    if (extra.imatrix !== undefined) needPath(extra.imatrix, 'the importance matrix');
  } else fail(`unknown method ${String((s as { method?: unknown }).method)} (available: rtn, gptq)`);
}

function validateSensitivity(s: SensitivitySpec): void {
  needPath(s.model, 'the model');
  needCalibration(s.calibration, 'the sensitivity measurement');
  if (!Array.isArray(s.types) || !s.types.length) fail('give at least one candidate type');
  if (s.method !== 'rtn' && s.method !== 'gptq') fail(`unknown method ${String(s.method)} (available: rtn, gptq)`);
  if (!isWhole(s.outputErrorSequences, 0)) fail('--output-error takes a number of sequences (0 to skip)');
  if (s.measureKl) {
    needText(s.measureKl.text, 'the KL text (--kl-text)');
    if (!isWhole(s.measureKl.nCtx, 8) || !isWhole(s.measureKl.chunks, 1)) fail('--kl-ctx must be at least 8 and --kl-chunks at least 1');
  }
  if (s.out !== undefined) needPath(s.out, 'the report file');
}

function validatePlan(s: PlanSpec): void {
  if (s.model !== undefined) needPath(s.model, 'the model');
  const r = s.sensitivity as { file?: unknown; runId?: unknown } | undefined;
  if (!r || (r.file === undefined) === (r.runId === undefined)) fail('give the sensitivity report: --sensitivity FILE or --run ID (one of them)');
  if (r.runId !== undefined && !isWhole(r.runId, 1)) fail('the sensitivity run id must be a positive whole number');
  if (!s.target || (s.target.kind !== 'bpw' && s.target.kind !== 'bytes') || !(s.target.value > 0)) fail('give one target: --target-bpw X or --target-size SIZE');
  if (s.out !== undefined) needPath(s.out, 'the plan file');
}

/** Checks a spec's fields and the rules between them; throws InvalidOperationError saying what is wrong. */
export function validateOperation<S extends OperationSpec>(spec: S): S {
  const s = spec as OperationSpec;
  switch (s.op) {
    case 'quantize':
      validateQuantize(s);
      break;
    case 'sensitivity':
      validateSensitivity(s);
      break;
    case 'evaluate':
      needPath(s.model, 'the model');
      needText(s.text, 'the evaluation text');
      if (!isWhole(s.nCtx, 8)) fail('the context length must be at least 8 tokens');
      if (s.reference !== undefined) needPath(s.reference, 'the reference model');
      needBackend(s.backend);
      break;
    case 'imatrix':
      needPath(s.model, 'the model');
      needText(s.text, 'the calibration text');
      needPath(s.out, 'the output file');
      if (!isWhole(s.nCtx, 8)) fail('the context length must be at least 8 tokens');
      needBackend(s.backend);
      break;
    case 'plan':
      validatePlan(s);
      break;
    case 'export':
      if (!isWhole(s.runId, 1)) fail('the run id must be a positive whole number');
      needGguf(s.out, 'the export file');
      break;
    case 'calibrate':
      needPath(s.model, 'the model');
      if (!Array.isArray(s.texts) || !s.texts.length) fail('give at least one calibration text');
      for (const t of s.texts) needText(t, 'each calibration text');
      needCalibration({ text: s.texts[0], sequences: s.sequences, length: s.length, seed: s.seed }, 'calibration');
      break;
    default:
      fail(`unknown operation ${JSON.stringify((s as { op?: unknown }).op)}`);
  }
  return spec;
}
