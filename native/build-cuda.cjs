// Compiles native/src/cuda/*.cu with nvcc into native/build/cuda (compile-only; `--link` also links
// lowbit-cuda-selftest). Without nvcc it says so and exits 0, or 1 when LOWBIT_CUDA=ON asks for CUDA.
// `--addon` is the addon build's first step: with LOWBIT_CUDA=ON it also archives the kernels into
// cuda-lib/liblowbit_cuda.a (outside build/, which node-gyp rebuild clears), which binding.gyp then
// links; without LOWBIT_CUDA=ON it does nothing.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const config = require('./cuda-config.cjs');

const src = path.join(__dirname, 'src', 'cuda');
const out = path.join(__dirname, 'build', 'cuda');
const arch = process.env.LOWBIT_CUDA_ARCH || 'sm_90';
const link = process.argv.includes('--link');
const addon = process.argv.includes('--addon');

function run(cmd, args) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, err }));
  });
}

async function main() {
  if (addon && !config.enabled()) return;
  const nvcc = config.findNvcc();
  if (!nvcc) {
    console.log('build:cuda: nvcc not found (set CUDA_HOME or put nvcc on PATH): CUDA kernels not built');
    process.exit(config.enabled() ? 1 : 0);
  }
  fs.mkdirSync(out, { recursive: true });
  const files = fs.readdirSync(src).filter((f) => f.endsWith('.cu')).sort();
  const flags = ['-std=c++17', '-O3', `-arch=${arch}`, '-I', path.join(__dirname, 'include'), '-Xcompiler', '-Wall,-fPIC'];
  const jobs = Math.max(1, Math.min(2, require('os').cpus().length));
  const queue = [...files];
  let failed = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: jobs }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await run(nvcc, [...flags, '-c', path.join(src, f), '-o', path.join(out, f.replace(/\.cu$/, '.o'))]);
      const warnings = r.err.trim();
      if (r.code !== 0) {
        failed++;
        console.error(`build:cuda: ${f} failed\n${warnings}`);
      } else {
        console.log(`build:cuda: ${f} compiled${warnings ? ` with warnings:\n${warnings}` : ''}`);
      }
    }
  }));
  if (failed) process.exit(1);
  const cusolver = config.hasCusolver();
  console.log(`build:cuda: ${files.length} files for ${arch} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    (cusolver ? 'Cholesky through cuSOLVER' : 'cusolverDn.h not found: Cholesky through the fallback kernels'));
  if (addon) {
    const objs = files.filter((f) => f !== 'selftest.cu').map((f) => path.join(out, f.replace(/\.cu$/, '.o')));
    fs.mkdirSync(path.dirname(config.staticLib()), { recursive: true });
    fs.rmSync(config.staticLib(), { force: true });
    const r = await run(nvcc, ['-lib', ...objs, '-o', config.staticLib()]);
    if (r.code !== 0) {
      console.error(`build:cuda: archiving failed\n${r.err}`);
      process.exit(1);
    }
    console.log(`build:cuda: ${config.staticLib()} for the addon (LOWBIT_CUDA=ON)`);
  }
  if (link) {
    const objs = files.map((f) => path.join(out, f.replace(/\.cu$/, '.o')));
    const r = await run(nvcc, [`-arch=${arch}`, ...objs, '-o', path.join(out, 'lowbit-cuda-selftest'), ...(cusolver ? ['-lcusolver'] : [])]);
    if (r.code !== 0) {
      console.error(`build:cuda: link failed\n${r.err}`);
      process.exit(1);
    }
    console.log(`build:cuda: linked ${path.join(out, 'lowbit-cuda-selftest')}`);
  }
}

main();
