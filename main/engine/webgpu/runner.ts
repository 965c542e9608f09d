// Pipeline cache, buffer upload/readback and dispatch over a GpuHandle.
import type { GpuHandle } from './device.js';

const MAX_GROUPS = 65535;

export class GpuRunner {
  private pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly gpu: GpuHandle) {}

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** A compute pipeline for WGSL source, compiled once per key; compile errors carry the WGSL messages. */
  async pipeline(key: string, source: () => string): Promise<GPUComputePipeline> {
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const module = this.device.createShaderModule({ code: source(), label: key });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      throw new Error(`WGSL ${key}: ${errors.map((m) => `line ${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    }
    this.device.pushErrorScope('validation');
    const p = await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    const err = await this.device.popErrorScope();
    if (err) throw new Error(`WGSL ${key}: ${err.message}`);
    this.pipelines.set(key, p);
    return p;
  }

  /** A storage buffer holding `data` (padded to 4 bytes), or zeroed `bytes` when data is a size. */
  storage(data: ArrayBufferView | number, extraUsage = 0): GPUBuffer {
    const u = this.gpu.usage;
    const bytes = typeof data === 'number' ? data : data.byteLength;
    const buf = this.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: u.STORAGE | u.COPY_SRC | u.COPY_DST | extraUsage });
    if (typeof data !== 'number' && bytes > 0) {
      const src = new Uint8Array(data.buffer, data.byteOffset, bytes);
      if (bytes % 4 === 0) this.device.queue.writeBuffer(buf, 0, src as Uint8Array<ArrayBuffer>);
      else {
        const padded = new Uint8Array(Math.ceil(bytes / 4) * 4);
        padded.set(src);
        this.device.queue.writeBuffer(buf, 0, padded);
      }
    }
    return buf;
  }

  uniform(words: number[]): GPUBuffer {
    const u = this.gpu.usage;
    const n = Math.ceil(words.length / 4) * 4;
    const data = new Uint32Array(n);
    data.set(words);
    const buf = this.device.createBuffer({ size: n * 4, usage: u.UNIFORM | u.COPY_DST });
    this.device.queue.writeBuffer(buf, 0, data);
    return buf;
  }

  bind(pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** Records a dispatch of `groups` workgroups along x, folded over y past the 65535 limit (see gridStride). */
  dispatch1d(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, groups: number): void {
    const y = Math.ceil(groups / MAX_GROUPS);
    if (y > MAX_GROUPS) throw new Error(`dispatch of ${groups} workgroups is too large`);
    this.dispatch(encoder, pipeline, bindGroup, Math.min(groups, MAX_GROUPS), y);
  }

  dispatch(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, x: number, y = 1): void {
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** Copies `bytes` of `src` back to the host once the queue has run (submits `encoder`). */
  async readback(encoder: GPUCommandEncoder, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: this.gpu.usage.MAP_READ | this.gpu.usage.COPY_DST });
    encoder.copyBufferToBuffer(src, 0, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(this.gpu.mapRead);
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }
}

/** Workgroups along x for a 1-D grid of `groups` (the shaders compute index = gid.x + gid.y · stride). */
export function gridStride(groups: number, groupSize: number): number {
  return Math.min(groups, MAX_GROUPS) * groupSize;
}
