// WebGPU device acquisition through Dawn (the `webgpu` package), once per process.

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

export interface GpuHandle {
  /** Dawn's instance: it must outlive the device (a collected instance crashes the process) */
  instance: GPU;
  device: GPUDevice;
  /** e.g. "google swiftshader (SwiftShader driver 5.0.0)" */
  adapterName: string;
  /** a CPU-emulated adapter (SwiftShader, llvmpipe): correct but slower than the native CPU engine */
  software: boolean;
  usage: { STORAGE: number; UNIFORM: number; COPY_SRC: number; COPY_DST: number; MAP_READ: number };
  mapRead: number;
}

let pending: Promise<GpuHandle> | undefined;

const HINT =
  'no WebGPU adapter found (Dawn found no Vulkan/Metal/D3D12 driver). On Linux without a GPU, Chromium\'s ' +
  'SwiftShader works: install the Vulkan loader (Debian: libvulkan1) and set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (or add LD_LIBRARY_PATH=/usr/lib/chromium for its loader)';

async function acquire(): Promise<GpuHandle> {
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new WebGpuUnavailableError(`the webgpu package (Dawn) could not be loaded: ${(e as Error).message}`);
  }
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError(HINT);
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
    },
  });
  if (!device) throw new WebGpuUnavailableError('the WebGPU adapter refused to create a device');
  const info = adapter.info;
  const software = info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.device} ${info.description}`);
  const g = mod.globals as { GPUBufferUsage: GpuHandle['usage'] & Record<string, number>; GPUMapMode: { READ: number } };
  return {
    instance: gpu,
    device,
    adapterName: `${info.vendor} ${info.architecture}${info.description ? ` (${info.description})` : ''}`.trim(),
    software,
    usage: g.GPUBufferUsage,
    mapRead: g.GPUMapMode.READ,
  };
}

/** The process's WebGPU device; rejects with WebGpuUnavailableError (clear message) when there is none. */
export function gpuDevice(): Promise<GpuHandle> {
  pending ??= acquire().catch((e) => {
    pending = undefined;
    throw e instanceof WebGpuUnavailableError ? e : new WebGpuUnavailableError(`WebGPU failed: ${(e as Error).message}`);
  });
  return pending;
}
