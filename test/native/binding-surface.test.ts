// What the shipped addon exposes: product calls at the top level, test hooks and benchmark loops
// under `testing`, the GPU-only GPTQ under `experimental`; and the binding layer sees the engine
// through its public headers only (native/include/lowbit).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

import { native } from '../../main/engine/native.js';
import { repoRoot } from '../helpers/shared.js';

const PRODUCT = [
  'closeModel', 'convertTensors', 'cudaInfo', 'dequantize', 'evaluate', 'gptqDefaults', 'gptqQuantize', 'gptqQuantizeAsync',
  'hessianAccumulate', 'imatrix', 'logits', 'openModel', 'quantize', 'quantizeSequential', 'sensitivity', 'simdLevel', 'typeInfo',
  'weightedError',
];
const TESTING = ['gptqCodecProbe', 'linalgDgemmNt', 'linalgFactor', 'linalgRate', 'linalgSgemm', 'setSimdLevel'];

it('the top level holds the product calls, and the testing and experimental objects', () => {
  assert.deepEqual(Object.keys(native()).sort(), [...PRODUCT, 'experimental', 'testing'].sort());
  for (const name of PRODUCT) assert.equal(typeof (native() as unknown as Record<string, unknown>)[name], 'function', name);
});

it('testing holds the hooks, experimental the CUDA GPTQ', () => {
  assert.deepEqual(Object.keys(native().testing).sort(), TESTING);
  assert.deepEqual(Object.keys(native().experimental), ['cudaGptq']);
});

it('setSimdLevel returns the level in force, and refuses names it does not know', () => {
  const before = native().simdLevel();
  try {
    assert.equal(native().testing.setSimdLevel('scalar'), 'scalar');
    assert.equal(native().simdLevel(), 'scalar');
    assert.throws(() => native().testing.setSimdLevel('sse9' as 'avx2'), /unknown SIMD level 'sse9'/);
  } finally {
    native().testing.setSimdLevel(before);
  }
});

it('binding files include the engine through its public headers only', () => {
  const dir = path.join(repoRoot, 'native', 'src', 'binding');
  for (const file of fs.readdirSync(dir)) {
    const includes = [...fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/^#include\s+"([^"]+)"/gm)].map((m) => m[1]);
    for (const inc of includes) {
      // the CUDA library's C interface is the one header from outside (built only with LOWBIT_CUDA=ON)
      const ok = inc.startsWith('lowbit/') || !inc.includes('/') || (file === 'cuda_binding.cpp' && inc === '../cuda/lowbit_cuda.h');
      assert.ok(ok, `${file} includes "${inc}"`);
    }
  }
});
