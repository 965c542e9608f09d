// Opens any supported model source: a GGUF file, a Hugging Face folder, or a llama2.c checkpoint
// with its tokenizer.
import fs from 'node:fs';
import path from 'node:path';

import { importGguf } from './gguf-import.js';
import { importHf } from './hf-import.js';
import { importLlama2c } from './llama2c-import.js';
import { ModelImportError } from './errors.js';
import type { ModelDescription } from './types.js';

export interface ImportOptions {
  /** tokenizer file for llama2.c checkpoints (default: tok<vocab>.bin, tokenizer.bin or a .model beside it) */
  tokenizer?: string;
}

function findLlama2cTokenizer(model: string, nVocab: number): string | undefined {
  const dir = path.dirname(model);
  for (const name of [`tok${nVocab}.bin`, 'tokenizer.bin', `tok${nVocab}.model`, 'tokenizer.model']) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  const models = fs.readdirSync(dir).filter((f) => f.endsWith('.model'));
  return models.length === 1 ? path.join(dir, models[0]) : undefined;
}

export function importModel(p: string, options: ImportOptions = {}): ModelDescription {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new ModelImportError(p, 'no such file or folder');
  }
  if (st.isDirectory()) return importHf(p);
  const fd = fs.openSync(p, 'r');
  const magic = Buffer.alloc(4);
  try {
    fs.readSync(fd, magic, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (magic.toString('latin1') === 'GGUF') return importGguf(p);
  let desc: ModelDescription;
  try {
    desc = importLlama2c(p);
  } catch (e) {
    throw new ModelImportError(p, `neither a GGUF file nor a llama2.c checkpoint (${(e as Error).message.replace(`${p}: `, '')})`);
  }
  desc.tokenizerPath = options.tokenizer ?? findLlama2cTokenizer(p, desc.hparams.nVocab);
  return desc;
}
