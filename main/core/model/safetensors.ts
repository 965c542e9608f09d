// safetensors headers: an 8-byte little-endian length, a JSON header {name: {dtype, shape,
// data_offsets}}, then the data. Only the header is read.
import fs from 'node:fs';

import { ModelImportError } from './errors.js';

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** absolute byte offset in the file */
  offset: number;
  nbytes: number;
}

const MAX_HEADER = 100 << 20;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

export function readSafetensorsHeader(file: string): SafetensorsEntry[] {
  const fail = (m: string): never => {
    throw new ModelImportError(file, m);
  };
  const size = fs.statSync(file).size;
  if (size < 8) fail('too short for a safetensors file');
  const fd = fs.openSync(file, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const len = lenBuf.readBigUInt64LE(0);
    if (len > BigInt(Math.min(MAX_HEADER, size - 8))) fail(`header length ${len} runs past the end of the file (${size} bytes): truncated or not safetensors`);
    const json = Buffer.alloc(Number(len));
    fs.readSync(fd, json, 0, json.length, 8);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch {
      return fail('the safetensors header is not valid JSON');
    }
    const base = 8 + Number(len);
    return Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, e]) => {
        const [begin, end] = e.data_offsets ?? [];
        if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || end < begin || base + end > size)
          fail(`tensor ${name} lies outside the file (data_offsets ${JSON.stringify(e.data_offsets)}): truncated?`);
        const per = DTYPE_BYTES[e.dtype];
        const elems = (e.shape ?? []).reduce((a, b) => a * b, 1);
        if (per && elems * per !== end - begin) fail(`tensor ${name}: ${end - begin} bytes do not match shape ${JSON.stringify(e.shape)} of ${e.dtype}`);
        return { name, dtype: e.dtype, shape: e.shape, offset: base + begin, nbytes: end - begin };
      });
  } finally {
    fs.closeSync(fd);
  }
}
