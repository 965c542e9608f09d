// GPTQ's column loop for Q4_0 and Q8_0 over one block of up to 64 columns [c0, c0 + width), one
// weight row per invocation, in the form of native/src/core/gptq/gptq.cpp: column p is quantized at
// t_p = w_p + Σ_{k<p} (w_k − q_k)·S[k][p], S the reversed Cholesky factor of H with unit diagonal.
// Each 32-column ggml block takes ggml's round-to-nearest scale from its values as they are when
// the loop reaches it (as the CUDA kernel does; the CPU searches the scale with diag(H) as
// importance). The errors w − q go to err (rows × 64) for the update of the columns after the block.
// q8 ≠ 0: Q8_0 (34-byte blocks, codes −127..127), else Q4_0 (18-byte blocks, codes 0..15 around 8)
struct Params { rows: u32, cols: u32, c0: u32, width: u32, stride: u32, q8: u32, p2: u32, p3: u32 }

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> err: array<f32>;
@group(0) @binding(4) var<storage, read_write> qout: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

fn put_u8(off: u32, v: u32) {
  atomicOr(&qout[off >> 2u], (v & 0xffu) << ((off & 3u) * 8u));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * params.stride;
  if (r >= params.rows) { return; }
  let cols = params.cols;
  let c0 = params.c0;
  var x = array<f32, 64>();
  for (var i = 0u; i < params.width; i = i + 1u) { x[i] = t[r * cols + c0 + i]; }
  let q8 = params.q8 != 0u;
  var codes = array<i32, 32>();
  var dbits = 0u;
  var dh = 0.0;
  var id = 0.0;
  for (var i = 0u; i < params.width; i = i + 1u) {
    let e = i % 32u;
    if (e == 0u) {  // Q4_0: the first element of largest magnitude over −8; Q8_0: the largest magnitude over 127
      var a = 0.0;
      var mx = 0.0;
      for (var j = 0u; j < 32u; j = j + 1u) {
        if (abs(x[i + j]) > a) {
          a = abs(x[i + j]);
          mx = x[i + j];
        }
      }
      let d = select(mx / -8.0, a / 127.0, q8);
      id = select(0.0, 1.0 / d, d != 0.0);
      dbits = f32_to_f16_bits(d);
      dh = f16_to_f32(dbits);
    }
    var q = clamp(i32(floor(x[i] * id + 8.5)), 0, 15) - 8;
    if (q8) {
      let v = x[i] * id;
      q = clamp(i32(sign(v) * floor(abs(v) + 0.5)), -127, 127);  // roundf: halves away from zero
    }
    codes[e] = q;
    let dl = w[r * cols + c0 + i] - f32(q) * dh;
    err[r * 64u + i] = dl;
    for (var k = i + 1u; k < params.width; k = k + 1u) { x[k] = x[k] + dl * s[(c0 + i) * cols + c0 + k]; }
    if (e == 31u) {
      let o = (r * (cols / 32u) + (c0 + i) / 32u) * select(18u, 34u, q8);
      put_u8(o, dbits);
      put_u8(o + 1u, dbits >> 8u);
      if (q8) {
        for (var j = 0u; j < 32u; j = j + 1u) { put_u8(o + 2u + j, u32(codes[j])); }
      } else {
        for (var j = 0u; j < 16u; j = j + 1u) { put_u8(o + 2u + j, u32(codes[j] + 8) | (u32(codes[j + 16u] + 8) << 4u)); }
      }
    }
  }
}
