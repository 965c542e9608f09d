// Reads a small F32 tensor's values (metadata-sized tensors such as imatrix entries; model
// weights are read by the native engine, never through here).
import fs from 'node:fs';

import { GgufFile, GgufFormatError, GgufTensorInfo } from './reader.js';

const MAX_BYTES = 64 << 20;

export function readTensorF32(f: GgufFile, t: GgufTensorInfo): Float32Array {
  if (t.type.name !== 'F32') throw new GgufFormatError(f.path, `tensor ${t.name} is ${t.type.name}, expected F32`);
  if (t.nbytes > MAX_BYTES) throw new GgufFormatError(f.path, `tensor ${t.name} is too large to read here`);
  const buf = Buffer.alloc(t.nbytes);
  const fd = fs.openSync(f.path, 'r');
  try {
    fs.readSync(fd, buf, 0, t.nbytes, t.fileOffset);
  } finally {
    fs.closeSync(fd);
  }
  return new Float32Array(buf.buffer, buf.byteOffset, t.nbytes / 4);
}
