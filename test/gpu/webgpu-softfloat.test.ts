// The WGSL float primitives the quantizers build on, against IEEE single precision computed in
// double and rounded once (innocuous for √, ÷, × and ± of floats): the correctly rounded square
// root and division (softfloat.wgsl), and the guarded native arithmetic (guarded.wgsl), whose
// results must be IEEE's whenever it does not report leaving the normal range.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { shaderFile } from '../../main/engine/webgpu/shaders.js';
import { gpuKernelsOrSkip } from '../helpers/webgpu.js';

const { kernels, skip } = await gpuKernelsOrSkip();

const KERNEL = `
struct Params { n: u32, zero: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= params.n) { return; }
  out[6u * i] = bitcast<u32>(sqrt_rn(abs(a[i])));
  out[6u * i + 1u] = bitcast<u32>(fdiv_rn(a[i], b[i]));
  beyond_normal = false;
  out[6u * i + 2u] = bitcast<u32>(gmul(a[i], b[i]));
  out[6u * i + 3u] = select(0u, 1u, beyond_normal);
  beyond_normal = false;
  out[6u * i + 4u] = bitcast<u32>(gsub(a[i], b[i]));
  out[6u * i + 5u] = select(0u, 1u, beyond_normal);
}
`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Floats of every kind: random bits (subnormals, huge, inf, NaN), neighbours of powers of two, small integers. */
function operands(n: number, r: () => number): Float32Array {
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) bits[i] = Math.floor(r() * 2 ** 32);
    else if (kind === 1) bits[i] = ((Math.floor(r() * 256) << 23) + Math.floor(r() * 5) - 2 + (r() < 0.5 ? 0x80000000 : 0)) >>> 0;
    else if (kind === 2) bits[i] = (Math.floor(r() * 0x800000) | (r() < 0.5 ? 0x80000000 : 0)) >>> 0;  // subnormal
    else bits[i] = new Uint32Array(Float32Array.of(Math.round((r() - 0.5) * 64) * 2 ** Math.round((r() - 0.5) * 60)).buffer)[0];
  }
  return new Float32Array(bits.buffer);
}

const f32bits = (v: number): number => new Uint32Array(Float32Array.of(v).buffer)[0];
const sameFloat = (got: number, want: number): boolean =>
  got === f32bits(want) || (Number.isNaN(want) && (got & 0x7fffffff) > 0x7f800000);

describe('WGSL float primitives', { skip }, () => {
  it('√, ÷ correctly rounded; guarded ×, − equal IEEE whenever they do not report', async () => {
    const r = kernels!.runner;
    const source = [shaderFile('softfloat'), shaderFile('guarded'), KERNEL].join('\n');
    const p = await r.pipeline('test:softfloat', () => source);
    const n = 64 * 4096;
    const rand = rng(20261130);
    const a = operands(n, rand);
    const b = operands(n, rand);
    const buffers = [r.storage(a), r.storage(b), r.storage(n * 24), r.uniform([n, 0])];
    const enc = r.device.createCommandEncoder();
    r.dispatch(enc, p, r.bind(p, buffers), n / 64);
    const out = new Uint32Array(await r.readback(enc, buffers[2], n * 24));
    for (const buf of buffers) buf.destroy();

    let reported = 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = [a[i], b[i]];
      const o = out.subarray(6 * i, 6 * i + 6);
      assert.ok(sameFloat(o[0], Math.sqrt(Math.abs(x))), `sqrt_rn(${Math.abs(x)}): 0x${o[0].toString(16)}`);
      assert.ok(sameFloat(o[1], x / y), `fdiv_rn(${x}, ${y}): 0x${o[1].toString(16)}`);
      if (!o[3]) assert.ok(sameFloat(o[2], x * y), `gmul(${x}, ${y}) = 0x${o[2].toString(16)} unreported`);
      if (!o[5]) assert.ok(sameFloat(o[4], x - y), `gsub(${x}, ${y}) = 0x${o[4].toString(16)} unreported`);
      reported += o[3] + o[5];
      const normal = (v: number): boolean => v === 0 || (Math.abs(v) >= 2 ** -126 && Math.abs(v) < 2 ** 128);
      if (normal(x) && normal(y) && normal(x * y) && Number.isFinite(Math.fround(x * y))) {
        assert.equal(o[3], 0, `gmul(${x}, ${y}) reported though all of it is in the normal range`);
      }
    }
    assert.ok(reported > n / 4, `only ${reported} reports among ${n} operand pairs with subnormals`);
  });
});
