// XᵀX accumulation for GPTQ Hessians: H (cols × cols, f32) += Σ_t x_tᵀ x_t over the tokens given.
// A workgroup of 16×16 invocations owns a 64×64 tile of H (4×4 per invocation) and walks the tokens
// in slices of 16 staged in workgroup memory. Only tiles on or above the diagonal are computed;
// the host mirrors them.
struct Params { tokens: u32, cols: u32, zero: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> h: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const TILE = 64u;
const SLICE = 16u;
var<workgroup> xi: array<array<f32, TILE>, SLICE>;
var<workgroup> xj: array<array<f32, TILE>, SLICE>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  if (wg.y < wg.x) { return; }  // below the diagonal (uniform across the workgroup)
  let i0 = wg.x * TILE;
  let j0 = wg.y * TILE;
  let cols = params.cols;
  let lin = l.y * 16u + l.x;
  var acc: array<array<f32, 4>, 4>;
  for (var t0 = 0u; t0 < params.tokens; t0 = t0 + SLICE) {
    // 256 invocations load 16 tokens × 64 columns for each side: 4 values each
    for (var k = 0u; k < 4u; k = k + 1u) {
      let idx = lin + k * 256u;
      let tt = idx / TILE;
      let cc = idx % TILE;
      let t = t0 + tt;
      var vi = 0.0;
      var vj = 0.0;
      if (t < params.tokens) {
        if (i0 + cc < cols) { vi = x[t * cols + i0 + cc]; }
        if (j0 + cc < cols) { vj = x[t * cols + j0 + cc]; }
      }
      xi[tt][cc] = vi;
      xj[tt][cc] = vj;
    }
    workgroupBarrier();
    for (var tt = 0u; tt < SLICE; tt = tt + 1u) {
      for (var a = 0u; a < 4u; a = a + 1u) {
        let u = xi[tt][l.y * 4u + a];
        for (var b = 0u; b < 4u; b = b + 1u) {
          acc[a][b] = acc[a][b] + u * xj[tt][l.x * 4u + b];
        }
      }
    }
    workgroupBarrier();
  }
  for (var a = 0u; a < 4u; a = a + 1u) {
    let i = i0 + l.y * 4u + a;
    for (var b = 0u; b < 4u; b = b + 1u) {
      let j = j0 + l.x * 4u + b;
      if (i < cols && j < cols) { h[i * cols + j] = h[i * cols + j] + acc[a][b]; }
    }
  }
}
