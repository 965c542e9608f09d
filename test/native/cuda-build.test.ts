// The CUDA kernels (native/src/cuda) compile with nvcc: `npm run build:cuda`, compile-only.
// They cannot run here (no NVIDIA GPU); lowbit-cuda-selftest checks and times them on a machine with one.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

import { repoRoot } from '../helpers/shared.js';

function hasNvcc(): boolean {
  try {
    execFileSync('nvcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip = hasNvcc() || process.env.CUDA_HOME ? false : 'nvcc not found: the CUDA kernels are not compiled (compile-only test skipped)';

it('every native/src/cuda/*.cu compiles with nvcc', { skip, timeout: 300_000 }, () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'native', 'build-cuda.cjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `build:cuda failed:\n${r.stdout}\n${r.stderr}`);
  const sources = fs.readdirSync(path.join(repoRoot, 'native', 'src', 'cuda')).filter((f) => f.endsWith('.cu'));
  assert.ok(sources.length >= 5, 'hessian, dequant_matmul, factor, gptq, selftest');
  for (const f of sources) {
    const obj = path.join(repoRoot, 'native', 'build', 'cuda', f.replace(/\.cu$/, '.o'));
    assert.ok(fs.statSync(obj).size > 0, `${obj} written`);
  }
});

it('the default addon build leaves the CUDA sources out', () => {
  const listed = execFileSync(process.execPath, [path.join(repoRoot, 'native', 'list-sources.cjs')], { encoding: 'utf8' });
  assert.ok(listed.includes('src/core/'), 'the C++ sources are listed');
  assert.ok(!listed.includes('cuda'), 'no CUDA source in binding.gyp');
});
