// RMS norm of rows: y[r] = x[row0 + r] · 1/√(mean(x²) + eps) · w, one workgroup per row. Serves the
// forward pass's attention, FFN and output norms (rows of n_embd) and Qwen3's per-head q/k norms
// (rows of head_dim). Rows past 65535 fold over the grid's y (index = x + 65535·y).
struct Params { rows: u32, n: u32, eps: f32, row0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG = 64u;
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wg.x + wg.y * 65535u;
  if (r >= params.rows) { return; }
  let src = (params.row0 + r) * params.n;
  var s = 0.0;
  for (var i = lid; i < params.n; i = i + WG) {
    let v = x[src + i];
    s = s + v * v;
  }
  part[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k >> 1u) {
    if (lid < k) { part[lid] = part[lid] + part[lid + k]; }
    workgroupBarrier();
  }
  let scale = 1.0 / sqrt(part[0] / f32(params.n) + params.eps);
  for (var i = lid; i < params.n; i = i + WG) {
    y[r * params.n + i] = (x[src + i] * scale) * w[i];
  }
}
