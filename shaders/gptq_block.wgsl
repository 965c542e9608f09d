// GPTQ's column loop for Q4_0 and Q8_0 over one block of up to 64 columns [c0, c0 + width), one
// weight row per invocation, in the form of native/src/core/gptq/gptq.cpp: column p is quantized at
// t_p = w_p + Σ_{k<p} (w_k − q_k)·S[k][p], S the reversed Cholesky factor of H with unit diagonal.
// Each 32-column ggml block is fitted on its values as they are when the loop reaches it, as the CPU
// does: Q4_0 by ggml's importance-weighted scale search (make_qx_quants, importance diag(H)), Q8_0 by
// its round-to-nearest scale (ggml's Q8_0 takes no importance). A column keeps the quantizer's own
// code while its value is as fitted, else it goes to the nearest level of the block's grid. The
// errors w − q go to err (rows × 64) for the update of the columns after the block.
// q8 ≠ 0: Q8_0 (34-byte blocks, codes −128..127), else Q4_0 (18-byte blocks, codes −8..7 stored + 8)
struct Params { rows: u32, cols: u32, c0: u32, width: u32, stride: u32, q8: u32, p2: u32, p3: u32 }

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> err: array<f32>;
@group(0) @binding(4) var<storage, read_write> qout: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> importance: array<f32>;  // diag(H), per column

// ggml's make_qx_quants(32, 8, x, L, 1, w) with w = importance · √(σ² + x²), σ² = mean x² of the
// block (native/src/core/formats/q_legacy.cpp, search.cpp), in plain f32: the Q4_0 scale, and the
// inverse scale whose codes it keeps.
fn q4_0_weighted_scale(x: ptr<function, array<f32, 64>>, i0: u32, c: u32) -> vec2<f32> {
  var s2 = 0.0;
  var amax = 0.0;
  var max = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let v = (*x)[i0 + j];
    s2 = s2 + v * v;
    if (abs(v) > amax) {
      amax = abs(v);
      max = v;
    }
  }
  if (amax < 1e-15) { return vec2<f32>(0.0, 0.0); }
  var w = array<f32, 32>();
  for (var j = 0u; j < 32u; j = j + 1u) {
    let v = (*x)[i0 + j];
    w[j] = importance[c + j] * sqrt(s2 / 32.0 + v * v);
  }
  var scale = 0.0;
  var best = 0.0;
  var kept = 0.0;
  for (var step = 0; step < 19; step = step + 1) {  // step 0: −8/max; then ggml's is = −9..9 but 0
    let is = select(step - 10, step - 9, step > 9) * select(1, 0, step == 0);
    let iscale = -(8.0 + 0.1 * f32(is)) / max;
    var sumlx = 0.0;
    var suml2 = 0.0;
    for (var j = 0u; j < 32u; j = j + 1u) {
      let v = (*x)[i0 + j];
      let l = clamp(round(iscale * v), -8.0, 7.0);
      sumlx = sumlx + w[j] * v * l;
      suml2 = suml2 + w[j] * l * l;
    }
    if (step == 0) {
      scale = select(0.0, sumlx / suml2, suml2 != 0.0);
      best = scale * sumlx;
      kept = iscale;
    } else if (suml2 > 0.0 && sumlx * sumlx > best * suml2) {
      scale = sumlx / suml2;
      best = scale * sumlx;
      kept = iscale;
    }
  }
  return vec2<f32>(scale, kept);
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
  var fit_x = array<f32, 32>();     // the block's values when it was fitted
  var fit_code = array<i32, 32>();  // and the quantizer's own codes for them
  var dbits = 0u;
  var dh = 0.0;
  var id = 0.0;
  for (var i = 0u; i < params.width; i = i + 1u) {
    let e = i % 32u;
    if (e == 0u) {
      var d = 0.0;
      if (q8) {  // ggml's Q8_0: the largest magnitude over 127, codes roundf(x / d) (halves away from zero)
        var a = 0.0;
        for (var j = 0u; j < 32u; j = j + 1u) { a = max(a, abs(x[i + j])); }
        d = a / 127.0;
        let inv = select(0.0, 1.0 / d, d != 0.0);
        for (var j = 0u; j < 32u; j = j + 1u) {
          let v = x[i + j] * inv;
          fit_code[j] = i32(sign(v) * floor(abs(v) + 0.5));
        }
      } else {
        let fit = q4_0_weighted_scale(&x, i, c0 + i);
        d = fit.x;
        // an all-but-zero block (no inverse scale) keeps ggml's codes 0, that is −8
        for (var j = 0u; j < 32u; j = j + 1u) { fit_code[j] = select(i32(clamp(round(fit.y * x[i + j]), -8.0, 7.0)), -8, fit.y == 0.0); }
      }
      for (var j = 0u; j < 32u; j = j + 1u) { fit_x[j] = x[i + j]; }
      dbits = f32_to_f16_bits(d);
      dh = f16_to_f32(dbits);
      id = select(0.0, 1.0 / dh, dh != 0.0);
    }
    // the quantizer's own code while the value is as fitted, else the nearest level of the grid
    var q = fit_code[e];
    if (x[i] != fit_x[e]) {
      q = clamp(i32(floor(x[i] * id + 8.5)), 0, 15) - 8;
      if (q8) {
        let v = x[i] * id;
        q = clamp(i32(sign(v) * floor(abs(v) + 0.5)), -128, 127);  // the grid is int8's
      }
    }
    codes[e] = q;
    let dl = w[r * cols + c0 + i] - f32(q) * dh;
    err[r * 64u + i] = dl;
    for (var k = i + 1u; k < params.width; k = k + 1u) { x[k] = x[k] + dl * s[(c0 + i) * cols + c0 + k]; }
    if (e == 31u) {
      let o = (r * (cols / 32u) + (c0 + i) / 32u) * select(18u, 34u, q8);
      put_u16(o, dbits);
      if (q8) {
        for (var j = 0u; j < 32u; j = j + 1u) { put_u8(o + 2u + j, u32(codes[j])); }
      } else {
        for (var j = 0u; j < 16u; j = j + 1u) { put_u8(o + 2u + j, u32(codes[j] + 8) | (u32(codes[j + 16u] + 8) << 4u)); }
      }
    }
  }
}
