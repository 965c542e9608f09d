// Σ_t x[t, c]² of every column c of X (tokens × cols): llama.cpp's importance-matrix statistic.
// One invocation per column (64 consecutive columns per workgroup, so reads are coalesced); f32 sums
// over at most one chunk of tokens, which the host adds up in fp64. The sums go to sums[offset..],
// so that one buffer holds every layer's.
struct Params { tokens: u32, cols: u32, offset: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= params.cols) { return; }
  var s = 0.0;
  for (var t = 0u; t < params.tokens; t = t + 1u) {
    let v = x[t * params.cols + c];
    s = s + v * v;
  }
  sums[params.offset + c] = s;
}
