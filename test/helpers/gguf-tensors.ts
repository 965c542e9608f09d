// Turns a GGUF file's tensor directory into the engine's TensorRef form (tests only; the product
// uses main/core/model importers).
import type { GgufFile } from '../../main/core/gguf/reader.js';
import type { TensorRef } from '../../main/core/model/types.js';

export function tensorRefs(f: GgufFile): TensorRef[] {
  return f.tensors.map((t) => ({ name: t.name, type: t.type.name, ne: t.ne, file: f.path, offset: t.fileOffset, nbytes: t.nbytes }));
}
