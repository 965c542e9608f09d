// The metadata of a quantized GGUF, built the same way by the quantizer and by the planner that
// predicts the file's exact size: the source's pairs (or, for non-GGUF sources, the architecture
// and tokenizer pairs), general.file_type for the mix, and the lowbit.* provenance.
import { ggmlTypeByName, tensorBytes } from '../gguf/ggml-types.js';
import type { GgufKv } from '../gguf/gguf-values.js';
import type { ModelDescription } from '../model/types.js';
import { exportMetadata, fileTypeFor, Provenance } from './metadata.js';
import { architectureMetadata } from './source-metadata.js';
import { tokenizerMetadata } from './source-tokenizer.js';

export const isFloatType = (type: string) => type === 'F32' || type === 'F16' || type === 'BF16';

export function quantizedMetadata(
  desc: ModelDescription,
  tensors: ReadonlyArray<{ name: string; type: string; ne: number[] }>,
  provenance: Provenance,
): Map<string, GgufKv> {
  const base = desc.gguf?.kv ?? new Map([...architectureMetadata(desc), ...tokenizerMetadata(desc)]);
  const sized = provenance.preset ? [] : tensors.map((t) => ({ type: t.type, nbytes: tensorBytes(ggmlTypeByName(t.type)!, t.ne) }));
  return exportMetadata(base, {
    fileType: fileTypeFor(sized, provenance.preset),
    quantized: tensors.some((t) => !isFloatType(t.type)),
    provenance,
  });
}
