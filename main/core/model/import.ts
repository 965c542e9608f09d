// Opens any supported model source: a GGUF file (more formats join here as importers land).
import fs from 'node:fs';

import { importGguf } from './gguf-import.js';
import { ModelImportError } from './errors.js';
import type { ModelDescription } from './types.js';

export function importModel(p: string): ModelDescription {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new ModelImportError(p, 'no such file or folder');
  }
  if (st.isDirectory()) throw new ModelImportError(p, 'Hugging Face folders are not supported yet: convert to GGUF first');
  const fd = fs.openSync(p, 'r');
  const magic = Buffer.alloc(4);
  try {
    fs.readSync(fd, magic, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (magic.toString('latin1') === 'GGUF') return importGguf(p);
  throw new ModelImportError(p, 'not a GGUF file (other formats are not supported yet)');
}
