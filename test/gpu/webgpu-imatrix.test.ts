// `lowbit imatrix --backend webgpu`: the forward pass and the sums of each linear layer's squared
// inputs run on the GPU; the result equals the native imatrix within 2^-16 relative (f32 chunk
// sums, and the GPU forward's activations within a few 1e-7 of the engine's).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { computeImatrix } from '../../main/core/calibration/imatrix-run.js';
import { sharedPath, skipNoShared } from '../helpers/shared.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';

const { skip } = await gpuKernelsOrSkip();

describe('imatrix on the WebGPU backend', { skip: skip || skipNoShared }, () => {
  it('equals the CPU importance matrix on stories260K', async () => {
    const common = {
      model: sharedPath('models', 'stories260K.gguf'),
      text: { path: sharedPath('data', 'tinystories_val.txt'), start: 0, end: 1200 },  // SwiftShader: a few short chunks
      nCtx: 64,
      threads: 2,
    };
    const notices: string[] = [];
    const cpu = await computeImatrix({ ...common, backend: 'cpu' });
    const gpu = await computeImatrix({ ...common, backend: 'webgpu', onNotice: (m) => notices.push(m) });
    assert.equal(gpu.backend, 'webgpu', notices.join('\n'));
    assert.match(notices[0], /^backend: webgpu on /);
    assert.ok(cpu.chunks >= 3, `${cpu.chunks} chunks`);
    assert.equal(gpu.tokens, cpu.tokens);
    assert.equal(gpu.chunks, cpu.chunks);
    assert.deepEqual([...gpu.entries.keys()].sort(), [...cpu.entries.keys()].sort());
    let worst = 0;
    for (const [name, e] of cpu.entries) {
      const g = gpu.entries.get(name)!.sums;
      for (let i = 0; i < e.sums.length; i++) {
        const rel = Math.abs(g[i] - e.sums[i]) / Math.max(1e-30, Math.abs(e.sums[i]));
        worst = Math.max(worst, rel);
        assert.ok(rel <= 2 ** -16, `${name}[${i}]: GPU ${g[i]} vs CPU ${e.sums[i]}`);
      }
    }
    assert.ok(worst > 0, 'the sums went through different arithmetic');
  });
});
