// Where CUDA is and how the addon links it, shared by build-cuda.cjs and binding.gyp:
//   node cuda-config.cjs enabled   -> ON when LOWBIT_CUDA=ON (the addon then links native/src/cuda)
//   node cuda-config.cjs include   -> CUDA's include directory
//   node cuda-config.cjs libraries -> the link flags of the CUDA part of the addon
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const enabled = () => process.env.LOWBIT_CUDA === 'ON';

function findNvcc() {
  const candidates = ['nvcc'];
  if (process.env.CUDA_HOME) candidates.unshift(path.join(process.env.CUDA_HOME, 'bin', 'nvcc'));
  if (fs.existsSync('/usr/local/cuda/bin/nvcc')) candidates.push('/usr/local/cuda/bin/nvcc');
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {}
  }
  return null;
}

// the toolkit: CUDA_HOME, else the first of the toolkit around nvcc, /usr/local/cuda and
// /usr/local/cuda-* that has cuda_runtime.h (nvcc on PATH may be a wrapper script)
function toolkits() {
  const roots = [];
  if (process.env.CUDA_HOME) roots.push(process.env.CUDA_HOME);
  try {
    const found = execFileSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).trim();
    if (found) roots.push(path.dirname(path.dirname(fs.realpathSync(found))));
  } catch {}
  roots.push('/usr/local/cuda');
  if (fs.existsSync('/usr/local')) roots.push(...fs.readdirSync('/usr/local').filter((d) => d.startsWith('cuda-')).sort().reverse().map((d) => path.join('/usr/local', d)));
  return [...new Set(roots)].filter((r) => fs.existsSync(path.join(r, 'include', 'cuda_runtime.h')));
}

function cudaHome() {
  return toolkits()[0] ?? process.env.CUDA_HOME ?? '/usr/local/cuda';
}

// the include directories of the toolkits (cuSOLVER ships beside cuda_runtime.h when installed)
function includeDirs() {
  return [...toolkits().map((r) => path.join(r, 'include')), '/usr/include'];
}

const hasCusolver = () => includeDirs().some((d) => fs.existsSync(path.join(d, 'cusolverDn.h')));

const libDir = () => path.join(cudaHome(), 'lib64');
// outside build/, which node-gyp rebuild deletes
const staticLib = () => path.join(__dirname, 'cuda-lib', 'liblowbit_cuda.a');

// the CUDA runtime is linked statically, so that the addon loads on machines without a GPU driver
function libraries() {
  return [staticLib(), `-L${libDir()}`, '-lcudart_static', ...(hasCusolver() ? ['-lcusolver'] : []), '-ldl', '-lrt', '-lpthread'];
}

module.exports = { enabled, findNvcc, cudaHome, includeDirs, hasCusolver, staticLib, libraries };

if (require.main === module) {
  const what = process.argv[2];
  if (what === 'enabled') console.log(enabled() ? 'ON' : 'OFF');
  else if (what === 'include') console.log(path.join(cudaHome(), 'include'));
  else if (what === 'libraries') console.log(libraries().join(' '));
  else {
    console.error('usage: node cuda-config.cjs enabled|include|libraries');
    process.exit(2);
  }
}
