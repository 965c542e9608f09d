// The WebGPU kernels for tests, or a skip message when this machine has no adapter.
// CI (.ci/run) points Dawn at SwiftShader and sets LOWBIT_REQUIRE_WEBGPU=1, so a missing adapter fails there.
import { type GpuKernels, webgpuKernels } from '../../main/engine/webgpu/index.js';

export async function gpuKernelsOrSkip(): Promise<{ kernels?: GpuKernels; skip: string | false }> {
  try {
    return { kernels: await webgpuKernels(), skip: false };
  } catch (e) {
    if (process.env.LOWBIT_REQUIRE_WEBGPU === '1') throw e;
    return { skip: `WebGPU tests skipped: ${(e as Error).message}` };
  }
}
