// Where an operation may write: never over one of its own inputs or a file the store records
// (a model that was opened, a file a run wrote), never over any other existing file unless the
// user said so (--force, or the studio's confirmation), and only into a folder that exists and
// can be written — checked before any work starts.
import fs from 'node:fs';
import path from 'node:path';

import { recordedFile } from '../db/recorded-files.js';
import type { Store } from '../db/store.js';

/** The output exists and the user has not confirmed replacing it: the studio asks, the CLI says --force. */
export class OutputExistsError extends Error {
  constructor(readonly file: string) {
    super(`${file} already exists: confirm to replace it (lowbit: --force), or choose another file`);
    this.name = 'OutputExistsError';
  }
}

export function checkOutput(file: string, o: { inputs: string[]; store?: Store; overwrite?: boolean }): void {
  const out = path.resolve(file);
  for (const input of o.inputs.map((i) => path.resolve(i))) {
    const inside = out.startsWith(input + path.sep) && fs.existsSync(out);  // a file of a Hugging Face folder
    if (input === out || inside) throw new Error(`refused: ${file} is ${input === out ? 'an input' : 'a file of an input'} of this operation; writing there would destroy it — choose another output file`);
  }
  const recorded = o.store && recordedFile(o.store, out);
  if (recorded) throw new Error(`refused: ${file} is ${recorded}; choose another output file`);
  const dir = path.dirname(out);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new Error(`the folder ${dir} does not exist: create it first, or choose another output file`);
  }
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder: choose another output file`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new Error(`the folder ${dir} cannot be written (permission denied): choose another output file`);
  }
  if (!fs.existsSync(out)) return;
  if (fs.statSync(out).isDirectory()) throw new Error(`${file} is a folder: give a file name`);
  if (!o.overwrite) throw new OutputExistsError(file);
}
