// The TypeScript type table (main/core/gguf/ggml-types.ts) is the native registry's: one table of
// ggml types, holding every type a GGUF file may carry, those the engine does not convert included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GGML_TYPES, ggmlTypeById, ggmlTypeByName, rowsFit } from '../../main/core/gguf/ggml-types.js';
import { native } from '../../main/engine/native.js';

// ggml.c's type_traits for the types up to MXFP4: [id, name, elements per block, bytes per block]
const GGML_GEOMETRY: [number, string, number, number][] = [
  [0, 'F32', 1, 4], [1, 'F16', 1, 2], [2, 'Q4_0', 32, 18], [3, 'Q4_1', 32, 20],
  [6, 'Q5_0', 32, 22], [7, 'Q5_1', 32, 24], [8, 'Q8_0', 32, 34], [9, 'Q8_1', 32, 36],
  [10, 'Q2_K', 256, 84], [11, 'Q3_K', 256, 110], [12, 'Q4_K', 256, 144], [13, 'Q5_K', 256, 176],
  [14, 'Q6_K', 256, 210], [15, 'Q8_K', 256, 292], [16, 'IQ2_XXS', 256, 66], [17, 'IQ2_XS', 256, 74],
  [18, 'IQ3_XXS', 256, 98], [19, 'IQ1_S', 256, 50], [20, 'IQ4_NL', 32, 18], [21, 'IQ3_S', 256, 110],
  [22, 'IQ2_S', 256, 82], [23, 'IQ4_XS', 256, 136], [24, 'I8', 1, 1], [25, 'I16', 1, 2],
  [26, 'I32', 1, 4], [27, 'I64', 1, 8], [28, 'F64', 1, 8], [29, 'IQ1_M', 256, 56],
  [30, 'BF16', 1, 2], [34, 'TQ1_0', 256, 54], [35, 'TQ2_0', 256, 66], [39, 'MXFP4', 32, 17],
];

describe('ggml types', () => {
  it('GGML_TYPES equals typeInfo(), type for type, and the lookups find each', () => {
    const registry = native().typeInfo().map(({ id, name, blockSize, typeSize }) => ({ id, name, blockSize, typeSize }));
    assert.deepEqual([...GGML_TYPES], registry);
    for (const t of registry) {
      assert.deepEqual(ggmlTypeById(t.id), t);
      assert.deepEqual(ggmlTypeByName(t.name.toLowerCase()), t);
    }
  });

  it("the registry holds every ggml type with ggml's geometry", () => {
    for (const [id, name, blockSize, typeSize] of GGML_GEOMETRY) assert.deepEqual(ggmlTypeById(id), { id, name, blockSize, typeSize }, name);
  });

  it('geometry-only types are listed but not converted', () => {
    const geometryOnly = native().typeInfo().filter((t) => !t.codec).map((t) => t.name);
    for (const name of ['I8', 'I32', 'F64', 'Q8_1', 'Q8_K', 'IQ2_XXS', 'TQ1_0']) assert.ok(geometryOnly.includes(name), name);
    for (const name of ['F32', 'F16', 'BF16', 'Q4_0', 'Q8_0', 'Q4_K', 'IQ4_XS', 'MXFP4']) assert.ok(!geometryOnly.includes(name), name);
    assert.throws(() => native().quantize('I8', new Float32Array(32), 1, 32), /does not quantize or dequantize I8/);
    assert.throws(() => native().dequantize('IQ2_XXS', new Uint8Array(66), 256), /does not quantize or dequantize IQ2_XXS/);
    assert.throws(() => native().quantize('Q9_9', new Float32Array(32), 1, 32), /unknown ggml type 'Q9_9'/);
  });

  it('rowsFit: a row is a whole number of blocks', () => {
    assert.equal(rowsFit('Q4_K', 512), true);
    assert.equal(rowsFit('Q4_K', 384), false);
    assert.equal(rowsFit(ggmlTypeByName('Q8_0')!, 96), true);
    assert.equal(rowsFit('F16', 7), true);
    assert.equal(rowsFit('Q4_0', 0), true);
    assert.equal(rowsFit('Q4_0', 32.5), false);
    assert.throws(() => rowsFit('Q9_9', 32), /unknown ggml type Q9_9/);
  });
});
