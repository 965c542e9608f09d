// Model files the store points to: the models that were opened and the GGUF files quantize runs
// wrote. An operation never writes over one of them (see core/operations/output.ts).
import fs from 'node:fs';
import path from 'node:path';

import type { Store } from './store.js';

/** What the store records at this path, in words ("the file of quantize run 12"), or null. */
export function recordedFile(store: Store, file: string): string | null {
  const p = path.resolve(file);
  const model = store.db.prepare('SELECT id FROM models WHERE path = ? ORDER BY id LIMIT 1').get(p) as { id: number } | undefined;
  if (model) return `a model the studio has opened (model ${model.id})`;
  // a finished run's file while it is there, and the file a running run is writing
  const runs = store.db
    .prepare(`SELECT id, status, json_extract(params, '$.out') AS out FROM runs
              WHERE kind = 'quantize' AND status IN ('done', 'running') AND json_extract(params, '$.out') IS NOT NULL`)
    .all() as Array<{ id: number; status: string; out: unknown }>;
  const run = runs.find((r) => typeof r.out === 'string' && path.resolve(r.out) === p && (r.status === 'running' || fs.existsSync(p)));
  if (!run) return null;
  return run.status === 'running' ? `being written by quantize run ${run.id}` : `the file of quantize run ${run.id}`;
}
