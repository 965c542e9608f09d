// GPTQ's lazy update after a block of columns [c0, c0 + width): T[:, c1:] += err · S[c0:c0+width, c1:]
// (err rows × 64, S cols × cols, T rows × cols). Tiles of 64 rows × 64 columns per workgroup of
// 16×16 invocations, 4×4 outputs each, err and S staged 16 of the block's columns at a time.
struct Params { rows: u32, cols: u32, c0: u32, c1: u32, width: u32, p1: u32, p2: u32, p3: u32 }

@group(0) @binding(0) var<storage, read> err: array<f32>;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> t: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> et: array<array<f32, 64>, 16>;  // [block column][row]
var<workgroup> st: array<array<f32, 64>, 16>;  // [block column][column]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let lid = l.y * 16u + l.x;
  let r0 = wg.y * 64u;
  let j0 = params.c1 + wg.x * 64u;
  let cols = params.cols;
  var acc = array<f32, 16>();
  for (var k0 = 0u; k0 < params.width; k0 = k0 + 16u) {
    for (var i = 0u; i < 4u; i = i + 1u) {
      let idx = lid + i * 256u;
      let k = idx % 16u;
      let rr = r0 + idx / 16u;
      var ev = 0.0;
      if (rr < params.rows && k0 + k < params.width) { ev = err[rr * 64u + k0 + k]; }
      et[k][idx / 16u] = ev;
      let ks = idx / 64u;
      let cc = j0 + idx % 64u;
      var sv = 0.0;
      if (cc < cols && k0 + ks < params.width) { sv = s[(params.c0 + k0 + ks) * cols + cc]; }
      st[ks][idx % 64u] = sv;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k = k + 1u) {
      for (var p = 0u; p < 4u; p = p + 1u) {
        let a = et[k][l.y * 4u + p];
        for (var q = 0u; q < 4u; q = q + 1u) { acc[p * 4u + q] = acc[p * 4u + q] + a * st[k][l.x * 4u + q]; }
      }
    }
    workgroupBarrier();
  }
  for (var p = 0u; p < 4u; p = p + 1u) {
    for (var q = 0u; q < 4u; q = q + 1u) {
      let rr = r0 + l.y * 4u + p;
      let cc = j0 + l.x * 4u + q;
      if (rr < params.rows && cc < cols) { t[rr * cols + cc] = t[rr * cols + cc] + acc[p * 4u + q]; }
    }
  }
}
