// Our reference quantizers must reproduce llama-quantize --pure byte for byte: every tensor of
// every *-pure-*.gguf in ../shared/golden is re-quantized from the F32 source and hashed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { native } from '../../main/engine/native.js';
import { golden, readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('block formats are byte-identical to llama-quantize --pure', { skip: skipNoShared }, () => {
  const files = skipNoShared ? [] : Object.keys(golden()).filter((f) => f.includes('-pure-'));
  for (const file of files) {
    it(file, () => {
      const source = readGguf(sharedPath('golden', file.replace(/-pure-.*/, '-f32.gguf')));
      const expected = golden()[file];
      const registered = new Set(native().typeInfo().map((t) => t.name));
      for (const g of expected.tensors) {
        assert.ok(registered.has(g.type), `${file}: type ${g.type} of ${g.name} is not implemented`);
        const src = source.tensors.find((t) => t.name === g.name);
        assert.ok(src && src.type.name === 'F32', `${g.name} missing from the F32 source`);
        const raw = readTensorBytes(source.path, src.fileOffset, src.nbytes);
        const f32 = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
        const rows = f32.length / src.ne[0];
        for (const simd of ['scalar', 'best'] as const) {
          const level = native().setSimdLevel(simd === 'scalar' ? 'scalar' : 'avx512');
          try {
            const out = native().quantize(g.type, f32, rows, src.ne[0]);
            assert.equal(sha256(out), g.sha256, `${file}: ${g.name} as ${g.type} differs from llama.cpp (${level} path)`);
          } finally {
            native().setSimdLevel('avx512');
          }
        }
      }
    });
  }
});
