// Evaluation text must not be the text a model was calibrated on: the numbers would flatter it.
// The calibration sets are those of the quantize runs that wrote the model being evaluated.
import fs from 'node:fs';
import path from 'node:path';

import { loadText, parseTextSource, type TextSource } from '../calibration/text-source.js';
import type { Store } from '../db/store.js';

function range(s: TextSource): [number, number] {
  let size = Infinity;
  try {
    size = fs.statSync(s.path).size;
  } catch {
    // a file that is gone still overlaps on its recorded range
  }
  return [s.start ?? 0, Math.min(s.end ?? size, size)];
}

/** Why `text` may not evaluate `model`, or null when it may. */
export function calibrationOverlap(store: Store, model: string, text: TextSource): string | null {
  const out = path.resolve(model);
  const sets = store.db
    .prepare(`SELECT r.id AS run, t.source_path AS source, t.source_sha256 AS sha FROM runs r JOIN text_sets t ON t.id = r.text_set_id
              WHERE r.kind = 'quantize' AND r.status = 'done' AND json_extract(r.params, '$.out') = ?`)
    .all(out) as Array<{ run: number; source: string; sha: string }>;
  if (!sets.length) return null;
  const sha = loadText(text).sha256;
  const [a, b] = range(text);
  for (const s of sets) {
    const calib = parseTextSource(s.source);
    const [c, d] = range(calib);
    const sameFile = path.resolve(calib.path) === path.resolve(text.path);
    if (s.sha === sha || (sameFile && a < d && c < b))
      return `the evaluation text overlaps the text quantize run ${s.run} was calibrated on (${s.source}): its numbers would flatter the model — evaluate on other text, or another byte range (FILE@START:END)`;
  }
  return null;
}
