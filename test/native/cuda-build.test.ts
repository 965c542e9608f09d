// The CUDA kernels (native/src/cuda) compile with nvcc: `npm run build:cuda`, compile-only, and
// LOWBIT_CUDA=ON links them into the addon, which still loads without a GPU and says why CUDA cannot
// run. Where a device is found, CUDA GPTQ is checked against the CPU's. lowbit-cuda-selftest
// (`npm run build:cuda -- --link`) checks and times the kernels on a machine with a GPU.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { it } from 'node:test';

import { native, type NativeBinding } from '../../main/engine/native.js';
import { seededNormal } from '../helpers/random.js';
import { artifactsDir, repoRoot } from '../helpers/shared.js';

const require = createRequire(import.meta.url);

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
  assert.ok(!listed.includes('src/cuda/'), 'no CUDA kernel source in binding.gyp');
  assert.equal(native().cudaInfo().built, false, 'the default addon does not link CUDA');
  // CUDA GPTQ is experimental: under `experimental`, not among the product calls
  assert.equal('cudaGptq' in native(), false);
  const h = new Float64Array(32 * 32);
  assert.throws(() => native().experimental.cudaGptq({ type: 'Q4_0', weights: new Float32Array(32 * 32), rows: 32, cols: 32, hessian: h }), /built without CUDA/);
});

it('LOWBIT_CUDA=ON links the kernels into the addon, which loads and answers without a GPU', { skip, timeout: 900_000 }, () => {
  // a copy of native/ inside the repository (so that node-addon-api resolves), built as `npm run build:native` does
  const dir = path.join(artifactsDir('cuda-addon'), 'native');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(repoRoot, 'native'), dir, { recursive: true, filter: (p) => !/[/\\](build|cuda-lib)$/.test(p) });
  const env = { ...process.env, LOWBIT_CUDA: 'ON' };
  const lib = spawnSync(process.execPath, [path.join(dir, 'build-cuda.cjs'), '--addon'], { env, encoding: 'utf8' });
  assert.equal(lib.status, 0, `build-cuda --addon failed:\n${lib.stdout}\n${lib.stderr}`);
  // node's headers as npm install finds them: npm's nodedir, else the ones installed beside node
  const prefix = path.dirname(path.dirname(process.execPath));
  const headers = process.env.npm_config_nodedir ?? (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined);
  const nodedir = headers ? [`--nodedir=${headers}`] : [];
  const gyp = spawnSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '-j', '2', ...nodedir], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(gyp.status, 0, `node-gyp with LOWBIT_CUDA=ON failed:\n${gyp.stderr.slice(-4000)}`);
  const addon: NativeBinding = require(path.join(dir, 'build', 'Release', 'lowbit.node'));
  const info = addon.cudaInfo();
  assert.equal(info.built, true);
  const rows = 128, cols = 256;
  const x = seededNormal(512 * cols, 3);
  const h = new Float64Array(cols * cols);
  addon.hessianAccumulate(h, x, 512, cols, 2);
  const weights = seededNormal(rows * cols, 4);
  if (info.devices === 0) {
    assert.ok(info.error, 'without a device cudaInfo says why');
    assert.throws(() => addon.experimental.cudaGptq({ type: 'Q4_0', weights, rows, cols, hessian: h }), /CUDA GPTQ failed: /);
    return;
  }
  // a device: the CUDA GPTQ's Hessian-weighted error is the CPU GPTQ's within 2 %, and far below RTN's
  for (let i = 0; i < h.length; i++) h[i] *= 2 / 512;
  const gpu = addon.experimental.cudaGptq({ type: 'Q4_0', weights, rows, cols, hessian: h });
  const cpu = addon.gptqQuantize({ type: 'Q4_0', weights, rows, cols, hessian: h, threads: 2 });
  const gpuError = addon.weightedError('Q4_0', weights, rows, cols, h, gpu.data, 2);
  const cpuError = cpu.error!, rtnError = cpu.rtnError!;
  assert.ok(Math.abs(gpuError - cpuError) <= 0.02 * cpuError, `CUDA ${gpuError} vs CPU ${cpuError}`);
  assert.ok(gpuError < 0.9 * rtnError, `CUDA ${gpuError} vs RTN ${rtnError}`);
});
