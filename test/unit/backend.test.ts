// Backend choice: what runs where, and the message when a GPU backend falls back to the CPU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { chooseBackend, parseBackend } from '../../main/engine/backends/choose.js';
import type { GpuKernels } from '../../main/engine/webgpu/index.js';

const adapter = (software: boolean) => async () =>
  ({ runner: { gpu: { adapterName: software ? 'google swiftshader' : 'nvidia hopper', software } } }) as unknown as GpuKernels;
const noAdapter = async (): Promise<GpuKernels> => {
  throw new Error('no WebGPU adapter found');
};

describe('chooseBackend', () => {
  it('cpu stays on the CPU', async () => {
    const s = await chooseBackend('cpu', 'calibration', adapter(false));
    assert.equal(s.backend, 'cpu');
    assert.equal(s.kernels, undefined);
  });

  it('webgpu calibration runs on the adapter, and says which', async () => {
    const s = await chooseBackend('webgpu', 'calibration', adapter(true));
    assert.equal(s.backend, 'webgpu');
    assert.match(s.message, /webgpu on google swiftshader \(software emulation/);
  });

  it('a missing WebGPU adapter falls back to the CPU with the reason', async () => {
    const s = await chooseBackend('webgpu', 'calibration', noAdapter);
    assert.equal(s.backend, 'cpu');
    assert.match(s.message, /webgpu unavailable: no WebGPU adapter found; falling back to the CPU/);
  });

  it('webgpu evaluation runs on the adapter', async () => {
    const s = await chooseBackend('webgpu', 'evaluation', adapter(false));
    assert.equal(s.backend, 'webgpu');
    assert.ok(s.kernels);
    assert.match(s.message, /backend: webgpu on nvidia hopper$/);
  });

  it('cuda falls back to the CPU, saying why: not built in, no device, or no forward pass on CUDA', async () => {
    const notBuilt = await chooseBackend('cuda', 'calibration', adapter(false), () => ({ built: false, devices: 0 }));
    assert.equal(notBuilt.backend, 'cpu');
    assert.match(notBuilt.message, /cuda unavailable: this engine is built without CUDA .*LOWBIT_CUDA=ON/);
    const noDevice = await chooseBackend('cuda', 'evaluation', adapter(false), () => ({ built: true, devices: 0, error: 'cudaErrorNoDevice' }));
    assert.match(noDevice.message, /cuda unavailable: no CUDA device \(cudaErrorNoDevice\); falling back to the CPU/);
    const device = await chooseBackend('cuda', 'evaluation', adapter(false), () => ({ built: true, devices: 1, device: 'NVIDIA H100' }));
    assert.equal(device.backend, 'cpu');
    assert.match(device.message, /on NVIDIA H100 cover GPTQ, XᵀX and the quantized products, not the whole forward pass yet/);
    // the engine this test runs on answers too
    assert.match((await chooseBackend('cuda', 'evaluation')).message, /cuda unavailable: /);
  });

  it('auto takes a hardware adapter, not a software one, and names its choice', async () => {
    const hw = await chooseBackend('auto', 'calibration', adapter(false));
    assert.equal(hw.backend, 'webgpu');
    assert.match(hw.message, /auto chose webgpu on nvidia hopper/);
    const sw = await chooseBackend('auto', 'calibration', adapter(true));
    assert.equal(sw.backend, 'cpu');
    assert.match(sw.message, /auto chose cpu .*software emulation, slower than the native CPU engine/);
    const none = await chooseBackend('auto', 'evaluation', noAdapter);
    assert.equal(none.backend, 'cpu');
    assert.match(none.message, /auto chose cpu \(cuda: .*; webgpu: no WebGPU adapter found\)/);
    const hwEval = await chooseBackend('auto', 'evaluation', adapter(false));
    assert.equal(hwEval.backend, 'webgpu');
    const swEval = await chooseBackend('auto', 'evaluation', adapter(true));
    assert.match(swEval.message, /auto chose cpu .*google swiftshader is a software emulation, slower than the native CPU engine/);
  });

  it('rejects an unknown backend name', () => {
    assert.equal(parseBackend('auto'), 'auto');
    assert.throws(() => parseBackend('metal'), /unknown backend "metal": use cpu, webgpu, cuda, auto/);
  });
});
