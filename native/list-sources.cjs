// Prints every C++ source of the engine for binding.gyp, so a new file needs no build edit.
// CUDA sources (src/cuda) are built separately when nvcc is present.
const fs = require('fs');
const path = require('path');
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'cuda' ? [] : walk(p);
    return e.name.endsWith('.cpp') ? [p] : [];
  });
}
console.log(walk(path.join(__dirname, 'src')).map((p) => path.relative(__dirname, p).split(path.sep).join('/')).sort().join(' '));
