// RoPE in place on x (tokens × heads × head_dim): each pair (a, b) of rope_dim turns by the angle
// whose cos and sin the host computed per (token, pair), as the CPU engine computes them. Pairs are
// adjacent (normal) or half a rope_dim apart (neox). One invocation per (token, head, pair).
struct Params { tokens: u32, heads: u32, head_dim: u32, rope_dim: u32, neox: u32, stride: u32, p1: u32, p2: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> cs: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = params.rope_dim / 2u;
  let idx = gid.x + gid.y * params.stride;
  if (idx >= params.tokens * params.heads * half) { return; }
  let i = idx % half;
  let th = idx / half;
  let t = th / params.heads;
  let o = th * params.head_dim;
  let neox = params.neox != 0u;
  let a = o + select(2u * i, i, neox);
  let b = o + select(2u * i + 1u, i + half, neox);
  let c = cs[2u * (t * half + i)];
  let s = cs[2u * (t * half + i) + 1u];
  let x0 = x[a];
  let x1 = x[b];
  x[a] = x0 * c - x1 * s;
  x[b] = x0 * s + x1 * c;
}
