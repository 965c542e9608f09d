// The forward pass's element-wise steps, one invocation per element (index = x + stride·y):
// op 0: y[i] += b[i % d] (q/k/v biases); op 1: y[i] = silu(y[i]) · b[i] (SwiGLU, y the gate, b up).
struct Params { count: u32, d: u32, op: u32, stride: u32 }

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.stride;
  if (i >= params.count) { return; }
  if (params.op == 0u) {
    y[i] = y[i] + b[i % params.d];
  } else {
    let g = y[i];
    y[i] = (g / (1.0 + exp(-g))) * b[i];
  }
}
