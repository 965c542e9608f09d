// Evaluation product Y = X·Wᵀ with W quantized: X is tokens × cols (f32), W rows × cols in ggml
// blocks, Y tokens × rows. A workgroup takes one weight row and TILE_T tokens; its 64 invocations
// stride over the columns, dequantize each weight once and keep TILE_T partial sums, then reduce.
// The loader adds the block readers, the decoders, `fn dequant(b, e) -> u32`, BLOCK_SIZE, TYPE_SIZE.
// accumulate ≠ 0 adds the product to Y (the forward pass's residual connections).
struct Params { tokens: u32, rows: u32, cols: u32, zero: u32, row0: u32, accumulate: u32, p2: u32, p3: u32 }

@group(0) @binding(0) var<storage, read> wq: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WG = 64u;
const TILE_T = 8u;
var<workgroup> partial: array<array<f32, TILE_T>, WG>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = params.row0 + wg.x;
  if (r >= params.rows) { return; }
  let t0 = wg.y * TILE_T;
  let cols = params.cols;
  let row_bytes = (cols / BLOCK_SIZE) * TYPE_SIZE;
  var acc: array<f32, TILE_T>;
  for (var c = lid; c < cols; c = c + WG) {
    let w = bitcast<f32>(dequant(r * row_bytes + (c / BLOCK_SIZE) * TYPE_SIZE, c % BLOCK_SIZE));
    for (var k = 0u; k < TILE_T; k = k + 1u) {
      let t = t0 + k;
      if (t < params.tokens) { acc[k] = acc[k] + x[t * cols + c] * w; }
    }
  }
  for (var k = 0u; k < TILE_T; k = k + 1u) { partial[lid][k] = acc[k]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      for (var k = 0u; k < TILE_T; k = k + 1u) { partial[lid][k] = partial[lid][k] + partial[lid + s][k]; }
    }
    workgroupBarrier();
  }
  if (lid < TILE_T && t0 + lid < params.tokens) {
    let o = (t0 + lid) * params.rows + r;
    y[o] = select(partial[0][lid], y[o] + partial[0][lid], params.accumulate != 0u);
  }
}
