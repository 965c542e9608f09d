// `lowbit imatrix --backend webgpu`: the CPU forward captures each linear layer's input and the
// GPU sums the squares; the result equals the native imatrix within f32 chunk sums (2^-16 relative).
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
      text: { path: sharedPath('data', 'tinystories_val.txt'), start: 0, end: 6000 },
      nCtx: 128,
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
