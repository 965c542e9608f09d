// The user's constraints on a plan: pins (tensor name or glob → type), per-kind minimums and the
// type for tensors whose statistics cannot be trusted. Types are compared by bits per weight, so
// a minimum of Q4_K (4.5 bpw) is also met by Q4_0 or IQ4_NL where a row cannot hold Q4_K's
// 256-wide blocks.
import { ggmlTypeByName, GgmlTypeDesc, rowsFit, rowWidthProblem } from '../gguf/ggml-types.js';
import { baseKind } from '../sensitivity/tensor-place.js';

/**
 * Floors that guard against blind spots of the per-tensor error (it does not see how the output
 * projection's error is amplified by the softmax, or how attn_v / ffn_down errors reach the residual
 * stream unattenuated). They follow what llama.cpp's presets never go below for these tensors at
 * 2–3 bits: output and token_embd at least Q4_K-class, attn_v, attn_output and ffn_down at least
 * Q3_K-class; everything else may go down to the smallest measured type.
 */
export const DEFAULT_MINIMUMS: Readonly<Record<string, string>> = {
  output: 'Q4_K',
  token_embd: 'Q4_K',
  attn_v: 'Q3_K',
  attn_output: 'Q3_K',
  ffn_down: 'Q3_K',
};

/** What tensors never reached by calibration get (their measured error is not evidence of anything). */
export const DEFAULT_UNREACHED_TYPE = 'Q6_K';

export function ggmlType(name: string, what: string): GgmlTypeDesc {
  const t = ggmlTypeByName(name);
  if (!t) throw new Error(`${what}: unknown ggml type ${name}`);
  return t;
}

export function bitsPerWeight(type: string): number {
  const t = ggmlType(type, 'bits per weight');
  return (8 * t.typeSize) / t.blockSize;
}

export function fitsRow(type: string, ne: readonly number[]): boolean {
  return rowsFit(ggmlType(type, 'row width'), ne[0]);
}

/** Parses NAME=TYPE (pins: tensor name or glob; minimums: kind). */
export function parseAssignment(spec: string, what: string): [string, string] {
  const i = spec.lastIndexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new Error(`${what} ${JSON.stringify(spec)}: expected NAME=TYPE`);
  const type = spec.slice(i + 1).trim().toUpperCase();
  ggmlType(type, `${what} ${spec}`);
  return [spec.slice(0, i).trim(), type];
}

/** `*` matches any run of characters, `?` one; everything else literally. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The pinned type of each tensor: later pins override earlier ones. Every pin must match a tensor
 * and fit the row width of every tensor it matches.
 */
export function resolvePins(pins: Record<string, string>, tensors: ReadonlyArray<{ name: string; ne: number[] }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [pattern, type] of Object.entries(pins)) {
    ggmlType(type, `pin ${pattern}`);
    const re = globToRegExp(pattern);
    const hits = tensors.filter((t) => re.test(t.name));
    if (!hits.length) throw new Error(`pin ${pattern}=${type} matches no quantizable tensor`);
    for (const t of hits) {
      if (!fitsRow(type, t.ne))
        throw new Error(`pin ${pattern}=${type}: tensor ${t.name}: ${rowWidthProblem(ggmlType(type, 'pin'), t.ne[0])}`);
      out.set(t.name, type);
    }
  }
  return out;
}

/** The minimum that applies to a kind: its own entry, else that of its dense kind (ffn_down for ffn_down_exps). */
export function minimumFor(kind: string, minimums: Readonly<Record<string, string>>): string | undefined {
  return minimums[kind] ?? minimums[baseKind(kind)];
}
