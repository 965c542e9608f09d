// Evaluation product Y (+)= X·Wᵀ with W quantized: X is tokens × cols (f32), W rows × cols in ggml
// blocks, Y tokens × rows. A workgroup of 16×16 invocations computes a tile of 64 tokens × 64 rows,
// 4×4 outputs each. Per step of 16 columns it stages the X tile and the dequantized W tile in
// workgroup memory (so each weight is decoded once per 64 tokens), then each invocation multiplies
// its 4 tokens by its 4 rows out of them. Sums: 16 products per step, 16 steps per partial sum,
// the partials added in order (f32 sums of at most 16 + 16 + cols/256 terms).
// The loader adds the block readers, the decoders, `fn dequant(b, e) -> u32`, BLOCK_SIZE, TYPE_SIZE.
// accumulate ≠ 0 adds the product to Y (the forward pass's residual connections).
struct Params { tokens: u32, rows: u32, cols: u32, accumulate: u32 }

@group(0) @binding(0) var<storage, read> wq: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const TILE = 64u;
const KSTEP = 16u;
var<workgroup> xt: array<array<f32, TILE>, KSTEP>;  // [column][token]
var<workgroup> wt: array<array<f32, TILE>, KSTEP>;  // [column][row]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let lid = l.y * 16u + l.x;
  let r0 = wg.x * TILE;
  let t0 = wg.y * TILE;
  let cols = params.cols;
  let row_bytes = (cols / BLOCK_SIZE) * TYPE_SIZE;
  var acc: array<f32, 16>;
  var part: array<f32, 16>;
  var steps = 0u;
  for (var k0 = 0u; k0 < cols; k0 = k0 + KSTEP) {
    // 16 columns × 64 tokens (rows): invocations next to each other read columns next to each other
    for (var i = 0u; i < 4u; i = i + 1u) {
      let idx = lid + i * 256u;
      let k = idx % KSTEP;
      let j = idx / KSTEP;
      let c = k0 + k;
      let t = t0 + j;
      var xv = 0.0;
      if (t < params.tokens && c < cols) { xv = x[t * cols + c]; }
      xt[k][j] = xv;
      let r = r0 + j;
      var wv = 0.0;
      if (r < params.rows && c < cols) { wv = bitcast<f32>(dequant(r * row_bytes + (c / BLOCK_SIZE) * TYPE_SIZE, c % BLOCK_SIZE)); }
      wt[k][j] = wv;
    }
    workgroupBarrier();
    var tile = array<f32, 16>();  // this step's 16 products
    for (var k = 0u; k < KSTEP; k = k + 1u) {
      for (var p = 0u; p < 4u; p = p + 1u) {
        let a = xt[k][l.y * 4u + p];
        for (var q = 0u; q < 4u; q = q + 1u) { tile[p * 4u + q] = tile[p * 4u + q] + a * wt[k][l.x * 4u + q]; }
      }
    }
    workgroupBarrier();
    for (var i = 0u; i < 16u; i = i + 1u) { part[i] = part[i] + tile[i]; }
    steps = steps + 1u;
    if (steps == 16u) {
      for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = acc[i] + part[i];
        part[i] = 0.0;
      }
      steps = 0u;
    }
  }
  for (var p = 0u; p < 4u; p = p + 1u) {
    for (var q = 0u; q < 4u; q = q + 1u) {
      let t = t0 + l.y * 4u + p;
      let r = r0 + l.x * 4u + q;
      if (t < params.tokens && r < params.rows) {
        let v = acc[p * 4u + q] + part[p * 4u + q];
        let o = t * params.rows + r;
        y[o] = select(v, y[o] + v, params.accumulate != 0u);
      }
    }
  }
}
