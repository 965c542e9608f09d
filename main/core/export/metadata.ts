// The metadata of an exported GGUF: the source's pairs (tokenizer included) unchanged, then
// general.file_type / general.quantization_version, then our provenance under lowbit.*.
import { LLAMA_FTYPE, ggmlTypeByName } from '../gguf/ggml-types.js';
import { GgufKv, GgufType } from '../gguf/gguf-values.js';
import { kv } from '../gguf/writer.js';

export interface Provenance {
  method: string;
  /** free-form parameters of the method, stored as JSON */
  params?: Record<string, unknown>;
  calibration?: { source: string; sha256: string; tokens?: number };
  imatrix?: { source: string; sha256?: string };
  /** the per-tensor plan, stored as JSON */
  plan?: Record<string, string>;
  preset?: string;
}

export const LOWBIT_VERSION = '0.1.0';

/** llama_ftype to record for a mix of tensor types: the preset's, else the type holding the most bytes. */
export function fileTypeFor(types: Array<{ type: string; nbytes: number }>, preset?: string): number {
  if (preset && preset in LLAMA_FTYPE) return LLAMA_FTYPE[preset];
  const bytes = new Map<string, number>();
  for (const t of types) if (ggmlTypeByName(t.type)!.blockSize > 1) bytes.set(t.type, (bytes.get(t.type) ?? 0) + t.nbytes);
  const main = [...bytes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const byType: Record<string, string> = { Q3_K: 'Q3_K_M', Q4_K: 'Q4_K_M', Q5_K: 'Q5_K_M', MXFP4: 'MXFP4_MOE' };
  if (!main) return types.some((t) => t.type === 'F16') ? LLAMA_FTYPE.F16 : LLAMA_FTYPE.F32;
  return LLAMA_FTYPE[byType[main] ?? main] ?? LLAMA_FTYPE.F32;
}

export function exportMetadata(
  base: Map<string, GgufKv>,
  out: { fileType: number; quantized: boolean; provenance: Provenance },
): Map<string, GgufKv> {
  const m = new Map(base);
  for (const k of [...m.keys()]) if (k.startsWith('lowbit.')) m.delete(k);
  if (out.quantized) m.set('general.quantization_version', kv.u32(2));
  else m.delete('general.quantization_version');
  m.set('general.file_type', kv.u32(out.fileType));
  const p = out.provenance;
  m.set('lowbit.version', kv.str(LOWBIT_VERSION));
  m.set('lowbit.method', kv.str(p.method));
  if (p.preset) m.set('lowbit.preset', kv.str(p.preset));
  if (p.params) m.set('lowbit.params', kv.str(JSON.stringify(p.params)));
  if (p.calibration) {
    m.set('lowbit.calibration.source', kv.str(p.calibration.source));
    m.set('lowbit.calibration.sha256', kv.str(p.calibration.sha256));
    if (p.calibration.tokens !== undefined) m.set('lowbit.calibration.tokens', { type: GgufType.UINT64, value: BigInt(p.calibration.tokens) });
  }
  if (p.imatrix) {
    m.set('lowbit.imatrix.source', kv.str(p.imatrix.source));
    if (p.imatrix.sha256) m.set('lowbit.imatrix.sha256', kv.str(p.imatrix.sha256));
  }
  if (p.plan) m.set('lowbit.plan', kv.str(JSON.stringify(p.plan)));
  return m;
}
