// Golden files of ../shared that need what the engine does not do yet: a block type without a
// codec (FP4: issue 14; i-quants, ternary and Q1_0/Q2_0: issue 15) or a RoPE scaling it refuses
// (issue 23). Tests over every golden file skip these by name, saying why, and check all others.
import { readGguf } from '../../main/core/gguf/reader.js';
import { importModel } from '../../main/core/model/import.js';
import { openModel } from '../../main/engine/evaluate.js';
import { native } from '../../main/engine/native.js';
import { sharedPath } from './shared.js';

export function notYetSupported(file: string): string | false {
  const codecs = new Set(native().typeInfo().filter((t) => t.codec).map((t) => t.name));
  let types: string[];
  try {
    types = [...new Set(readGguf(sharedPath('golden', file)).tensors.map((t) => t.type.name))];
  } catch (e) {
    if (/unknown ggml type/.test((e as Error).message)) return (e as Error).message;
    throw e;
  }
  const missing = types.filter((t) => !codecs.has(t));
  if (missing.length) return `${file}: the engine has no codec for ${missing.join(', ')} yet`;
  try {
    native().closeModel(openModel(importModel(sharedPath('golden', file))));
  } catch (e) {
    if (/not supported (by the engine )?yet/.test((e as Error).message)) return (e as Error).message;
    throw e;
  }
  return false;
}
