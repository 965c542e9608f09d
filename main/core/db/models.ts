// Records a model in the store (path, sha256, architecture, tensor list), hashing the file only
// when the store does not already know it at this size and modification time.
import fs from 'node:fs';
import path from 'node:path';

import type { Store } from './store.js';
import { sha256File } from '../model/file-hash.js';
import type { ModelDescription } from '../model/types.js';

export async function recordModel(store: Store, d: ModelDescription, projectId?: number | null): Promise<number> {
  const file = path.resolve(d.path);
  const st = fs.statSync(file);
  const sha256 = store.knownHash(file, st.size, Math.round(st.mtimeMs)) ?? (await sha256File(file));
  return store.addModel({
    projectId,
    path: file,
    sha256,
    format: d.format,
    architecture: d.hparams.architecture,
    bytes: st.size,
    mtimeMs: Math.round(st.mtimeMs),
    tensors: d.tensors.map((t) => ({ name: t.name, type: t.type, ne: t.ne, nbytes: t.nbytes })),
  });
}
