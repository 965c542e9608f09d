// Round-to-nearest quantizer of the k-quant Q6_K, no importance: ggml's make_qx_quants
// (native/src/core/formats/search.cpp) and block layout (kquants.cpp), every float operation as the
// C++ does it (softfloat.wgsl). Part of the quantize kernel (quantize.wgsl, quantize_nl.wgsl).

alias Codes = array<u32, 256>;

fn signed_absmax_n(x0: u32, n: u32) -> f32 {
  var mx = 0.0;
  for (var j = 0u; j < n; j = j + 1u) {
    if (abs_gt(xs[x0 + j], mx)) { mx = xs[x0 + j]; }
  }
  return mx;
}

fn below_eps(v: f32) -> bool { return abs_bits(v) < bitcast<u32>(GROUP_MAX_EPS); }

// ---------------- make_qx_quants (rmse_type 1, weights x²), for Q6_K ----------------

// The code of x: nearest_int(iscale·x) clamped. A plain product is enough: where the device
// flushes an operand or the result, |iscale·x| < 0.5 and the code is 0 either way.
fn qx_code(x: f32, iscale: f32, nmax: i32) -> i32 {
  return clamp(nearest_int(nofma(iscale * x)), -nmax, nmax - 1);
}

// (Σ w·x·l, Σ w·l·l) over 16 elements, w = x²
fn qx_sums(x0: u32, nmax: i32, iscale: f32) -> vec2<f32> {
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < 16u; i = i + 1u) {
    let x = xs[x0 + i];
    let l = f32(qx_code(x, iscale, nmax));
    let w = mul_rn(x, x);
    sumlx = add_rn(sumlx, mul_rn(mul_rn(w, x), l));
    suml2 = add_rn(suml2, mul_rn(mul_rn(w, l), l));
  }
  return vec2<f32>(sumlx, suml2);
}

// ggml's make_qx_quants, its first guess -nmax/max taken as step 0 of the sweep (the sweep's
// formula at is = 0 gives it exactly), so that each sum and code is written once.
fn make_qx_quants(x0: u32, nmax: i32, L: ptr<function, Codes>, at: u32) -> f32 {
  let max = signed_absmax_n(x0, 16u);
  var scale = 0.0;
  var best = 0.0;
  for (var step = 0; step < 19; step = step + 1) {
    if (below_eps(max)) { break; }
    let is = select(step - 10, step - 9, step > 9) * select(1, 0, step == 0);
    let iscale = fdiv_rn(neg(add_rn(f32(nmax), mul_rn(0.1, f32(is)))), max);
    let s = qx_sums(x0, nmax, iscale);
    let first = step == 0;
    if (first || (lt(0.0, s.y) && lt(mul_rn(best, s.y), mul_rn(s.x, s.x)))) {
      for (var i = 0u; i < 16u; i = i + 1u) { (*L)[at + i] = u32(qx_code(xs[x0 + i], iscale, nmax) + nmax); }
      scale = select(fdiv_rn(s.x, s.y), 0.0, first && !nonzero(s.y));
      best = mul_rn(scale, s.x);
    }
  }
  if (below_eps(max)) {
    for (var i = 0u; i < 16u; i = i + 1u) { (*L)[at + i] = 0u; }
  }
  return scale;
}

// ---------------- Q6_K ----------------

fn q_Q6_K(x0: u32, o: u32) {
  var L: Codes;
  var scales: array<f32, 16>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 16u; ib = ib + 1u) {
    scales[ib] = make_qx_quants(x0 + 16u * ib, 32, &L, 16u * ib);
    if (abs_gt(scales[ib], max_scale)) { max_scale = scales[ib]; }
  }
  if (below_eps(max_scale)) { return; }  // an all-zero block
  let iscale = fdiv_rn(-128.0, max_scale);
  let dh = f32_to_f16_bits(fdiv_rn(1.0, iscale));
  put_u16(o + 208u, dh);
  for (var j = 0u; j < 16u; j = j + 1u) {
    let sc = (min(127, nearest_int(mul_rn(iscale, scales[j]))) << 24u) >> 24u;  // as int8_t
    put_u8(o + 192u + j, u32(sc) & 0xffu);
    let d = mul_rn(f16_to_f32(dh), f32(sc));
    if (!nonzero(d)) { continue; }
    for (var i = 16u * j; i < 16u * j + 16u; i = i + 1u) {
      L[i] = u32(clamp(nearest_int(fdiv_rn(xs[x0 + i], d)), -32, 31) + 32);
    }
  }
  for (var h = 0u; h < 2u; h = h + 1u) {
    let j = 128u * h;
    for (var l = 0u; l < 32u; l = l + 1u) {
      let q1 = L[j + l];
      let q2 = L[j + l + 32u];
      let q3 = L[j + l + 64u];
      let q4 = L[j + l + 96u];
      put_u8(o + 64u * h + l, (q1 & 0xfu) | ((q3 & 0xfu) << 4u));
      put_u8(o + 64u * h + l + 32u, (q2 & 0xfu) | ((q4 & 0xfu) << 4u));
      put_u8(o + 128u + 32u * h + l, (q1 >> 4u) | ((q2 >> 4u) << 2u) | ((q3 >> 4u) << 4u) | ((q4 >> 4u) << 6u));
    }
  }
}
