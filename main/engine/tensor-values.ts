// A model tensor's stored bytes, read from its file, and its values as f32 (the native engine's
// dequantizers). For code that needs one tensor in JS memory (WebGPU upload, per-tensor
// measurements); the native engine itself maps the files.
import fs from 'node:fs';

import type { TensorRef } from './model-types.js';
import { native } from './native.js';

export function readTensorBytes(t: TensorRef): Uint8Array {
  const fd = fs.openSync(t.file, 'r');
  try {
    const buf = new Uint8Array(t.nbytes);
    let done = 0;
    while (done < t.nbytes) {
      const n = fs.readSync(fd, buf, done, t.nbytes - done, t.offset + done);
      if (n === 0) throw new Error(`tensor ${t.name} lies past the end of ${t.file} (the file is truncated)`);
      done += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export function readTensorValues(t: TensorRef): Float32Array {
  return native().dequantize(t.type, readTensorBytes(t), t.ne.reduce((a, b) => a * b, 1));
}
