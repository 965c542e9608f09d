// WebGPU backend: device, kernels, and the type geometry taken from the native registry.
import { native } from '../native.js';
import { gpuDevice, type GpuHandle } from './device.js';
import { GpuKernels } from './kernels.js';
import type { ShaderType } from './shaders.js';

export { WebGpuUnavailableError } from './device.js';
export type { GpuHandle } from './device.js';
export { DEQUANT_TYPES, QUANT_TYPES, type ShaderType } from './shaders.js';
export { GpuKernels, type PreparedMatmul } from './kernels.js';

let kernels: Promise<GpuKernels> | undefined;

/** The process's kernels on its WebGPU device (rejects with WebGpuUnavailableError when there is none). */
export function webgpuKernels(): Promise<GpuKernels> {
  kernels ??= gpuDevice().then((g: GpuHandle) => new GpuKernels(g)).catch((e) => {
    kernels = undefined;
    throw e;
  });
  return kernels;
}

/** Block geometry of a ggml type by name, from the native registry (the shaders' source of truth). */
export function shaderType(name: string): ShaderType {
  const info = native().typeInfo().find((t) => t.name === name);
  if (!info) throw new Error(`unknown tensor type ${name}`);
  return { name: info.name, blockSize: info.blockSize, typeSize: info.typeSize };
}
