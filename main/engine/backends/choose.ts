// Backend choice for evaluation and calibration: `cpu`, `webgpu`, `cuda` or `auto`. A backend that
// is missing, failing, or has no implementation of the task falls back to the CPU, and the
// selection carries a message saying which backend runs and why.
import { BACKEND_CHOICES, type BackendChoice } from '../../contract/api.js';
import { type CudaInfo, native } from '../native.js';
import { type GpuKernels, webgpuKernels } from '../webgpu/index.js';

export { BACKEND_CHOICES, type BackendChoice };
export type BackendName = 'cpu' | 'webgpu' | 'cuda';

/** What the backend would run: an evaluation (forward passes and scores) or calibration statistics. */
export type BackendTask = 'evaluation' | 'calibration';

export interface BackendSelection {
  backend: BackendName;
  /** one line for the user: the backend in use, and the reason for any fallback */
  message: string;
  /** the WebGPU kernels when backend is 'webgpu' */
  kernels?: GpuKernels;
}

// What each GPU backend implements today (null: implemented; a string: why it falls back).
//   evaluation   webgpu: the whole forward pass on the GPU (webgpu/forward.ts)
//   calibration  webgpu: the same forward pass, and the sums of the linear layers' squared inputs (imatrix)
const WEBGPU_TASKS: Record<BackendTask, string | null> = {
  evaluation: null,
  calibration: null,
};

// why CUDA does not run evaluation or calibration: it has GPTQ, XᵀX and the products, not a forward pass
function cudaUnavailable(info: CudaInfo): string {
  if (!info.built) return 'this engine is built without CUDA (`LOWBIT_CUDA=ON npm run build:native` links native/src/cuda)';
  if (info.devices === 0) return `no CUDA device (${info.error ?? 'none found'})`;
  return `the CUDA kernels on ${info.device ?? 'the device'} cover GPTQ, XᵀX and the quantized products, not the whole forward pass yet`;
}

export function parseBackend(v: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`unknown backend "${v}": use ${BACKEND_CHOICES.join(', ')}`);
}

type Probe = () => Promise<GpuKernels>;

/** The backend to run `task` on for the user's choice. `probe` acquires the WebGPU device and `cudaProbe` asks the engine about CUDA (both replaceable in tests). */
export async function chooseBackend(choice: BackendChoice, task: BackendTask, probe: Probe = webgpuKernels, cudaProbe: () => CudaInfo = () => native().cudaInfo()): Promise<BackendSelection> {
  const cpu = (why: string): BackendSelection => ({ backend: 'cpu', message: why });
  switch (choice) {
    case 'cpu':
      return cpu('backend: cpu (native engine)');
    case 'cuda':
      return cpu(`backend: cpu — cuda unavailable: ${cudaUnavailable(cudaProbe())}; falling back to the CPU`);
    case 'webgpu': {
      const missing = WEBGPU_TASKS[task];
      if (missing) return cpu(`backend: cpu — ${missing}; falling back to the CPU`);
      try {
        const kernels = await probe();
        const g = kernels.runner.gpu;
        return { backend: 'webgpu', kernels, message: `backend: webgpu on ${g.adapterName}${g.software ? ' (software emulation on the CPU)' : ''}` };
      } catch (e) {
        return cpu(`backend: cpu — webgpu unavailable: ${(e as Error).message}; falling back to the CPU`);
      }
    }
    case 'auto': {
      const reasons = [`cuda: ${cudaUnavailable(cudaProbe())}`];
      const missing = WEBGPU_TASKS[task];
      if (missing) reasons.push(`webgpu: ${missing}`);
      else {
        try {
          const kernels = await probe();
          const g = kernels.runner.gpu;
          if (!g.software) return { backend: 'webgpu', kernels, message: `backend: auto chose webgpu on ${g.adapterName}` };
          reasons.push(`webgpu: ${g.adapterName} is a software emulation, slower than the native CPU engine`);
        } catch (e) {
          reasons.push(`webgpu: ${(e as Error).message}`);
        }
      }
      return cpu(`backend: auto chose cpu (${reasons.join('; ')})`);
    }
  }
}
