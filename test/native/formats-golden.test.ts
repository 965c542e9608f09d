// Our reference quantizers must reproduce llama-quantize --pure byte for byte: every tensor of
// every *-pure-*.gguf in ../shared/golden is re-quantized from the F32 source and hashed, on the
// scalar path and on each SIMD level the CPU runs.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, it } from 'node:test';

import { readGguf } from '../../main/core/gguf/reader.js';
import { native, type SimdLevelName } from '../../main/engine/native.js';
import { notYetSupported } from '../helpers/golden-support.js';
import { golden, readTensorBytes, sharedPath, skipNoShared } from '../helpers/shared.js';
import { initialLevel, SIMD_LEVELS, useSimdLevel } from './simd.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('block formats are byte-identical to llama-quantize --pure', { skip: skipNoShared }, () => {
  after(() => native().testing.setSimdLevel(initialLevel));
  const files = skipNoShared ? [] : Object.keys(golden()).filter((f) => f.includes('-pure-'));
  for (const file of files)
    it(file, { skip: notYetSupported(file) }, async (t) => {
      const source = readGguf(sharedPath('golden', file.replace(/-pure-.*/, '-f32.gguf')));
      const expected = golden()[file];
      const implemented = new Set(native().typeInfo().filter((x) => x.codec).map((x) => x.name));
      for (const g of expected.tensors) assert.ok(implemented.has(g.type), `${file}: type ${g.type} of ${g.name} is not implemented`);
      for (const level of ['scalar', ...SIMD_LEVELS] as SimdLevelName[])
        await t.test(`${level} path`, (tl) => {
          if (!useSimdLevel(tl, level)) return;
          for (const g of expected.tensors) {
            const src = source.tensors.find((s) => s.name === g.name);
            assert.ok(src && src.type.name === 'F32', `${g.name} missing from the F32 source`);
            const raw = readTensorBytes(source.path, src.fileOffset, src.nbytes);
            const f32 = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
            const out = native().quantize(g.type, f32, f32.length / src.ne[0], src.ne[0]);
            assert.equal(sha256(out), g.sha256, `${file}: ${g.name} as ${g.type} differs from llama.cpp (${level} path)`);
          }
        });
    });
});
