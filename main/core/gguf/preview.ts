// What a GGUF file says about itself, read back from disk: the Export view's metadata preview.
import type { GgufPreview } from '../../contract/api.js';
import type { GgufKv } from './gguf-values.js';
import { GgufType } from './gguf-values.js';
import { readGguf } from './reader.js';

const MAX_TEXT = 160;

function short(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length} characters)` : s;
}

function text(kv: GgufKv): string {
  if (kv.type === GgufType.ARRAY) {
    const head = kv.value.slice(0, 8).map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
    return `[${head.join(', ')}${kv.value.length > 8 ? `, … ${kv.value.length} items` : ''}]`;
  }
  return short(typeof kv.value === 'string' ? kv.value : String(kv.value));
}

export function ggufPreview(path: string): GgufPreview {
  const f = readGguf(path);
  const types: Record<string, number> = {};
  for (const t of f.tensors) types[t.type.name] = (types[t.type.name] ?? 0) + 1;
  return {
    path: f.path,
    bytes: f.fileSize,
    version: f.version,
    tensors: f.tensors.length,
    types,
    metadata: [...f.kv].map(([key, kv]) => ({ key, value: text(kv) })),
  };
}
