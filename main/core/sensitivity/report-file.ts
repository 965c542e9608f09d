// Reads a SensitivityReport written as JSON (by `lowbit sensitivity` or another tool) and checks
// the parts the studio relies on, so a wrong file fails with a message instead of a broken view.
import fs from 'node:fs';

import type { SensitivityReport } from '../../contract/sensitivity.js';

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function readSensitivityReport(file: string): SensitivityReport {
  let r: SensitivityReport;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the sensitivity report ${file}: ${(e as Error).message}`);
  }
  const bad = (what: string) => new Error(`${file} is not a sensitivity report: ${what}`);
  if (r?.version !== 1) throw bad('version must be 1');
  if (!num(r.fixedBytes)) throw bad('fixedBytes must be a number of bytes');
  if (!Array.isArray(r.tensors) || !r.tensors.length) throw bad('no tensors');
  for (const t of r.tensors) {
    if (typeof t?.name !== 'string' || typeof t.kind !== 'string' || !(t.layer === null || Number.isInteger(t.layer))) throw bad(`a tensor needs name, kind and layer`);
    if (!Array.isArray(t.ne) || !t.ne.every((d) => Number.isInteger(d) && d > 0)) throw bad(`${t.name}: ne must list positive dimensions`);
    if (!Array.isArray(t.candidates) || !t.candidates.length) throw bad(`${t.name}: no candidates`);
    for (const c of t.candidates) if (typeof c?.type !== 'string' || !num(c.bytes) || !num(c.error)) throw bad(`${t.name}: each candidate needs type, bytes and error`);
  }
  return r;
}
