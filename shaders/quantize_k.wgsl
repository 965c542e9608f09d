// Round-to-nearest quantizers of the k-quants Q2_K … Q6_K, no importance: ggml's scale searches
// (native/src/core/formats/search.cpp) and block layouts (kquants.cpp), every float operation as the
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

// 2-bit codes of 256 elements: byte (e/128)*32 + e%32, shift 2*((e%128)/32)
fn pack2(L: ptr<function, Codes>, o: u32) {
  for (var j = 0u; j < 256u; j = j + 128u) {
    for (var l = 0u; l < 32u; l = l + 1u) {
      let b = (*L)[j + l] | ((*L)[j + l + 32u] << 2u) | ((*L)[j + l + 64u] << 4u) | ((*L)[j + l + 96u] << 6u);
      put_u8(o + j / 4u + l, b & 0xffu);
    }
  }
}

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

// ---------------- make_qkx2_quants, for Q2_K, Q4_K and Q5_K ----------------

alias Weights = array<f32, 32>;

struct ScaleMin { scale: f32, the_min: f32 }

struct QkxSearch { nmax: i32, rmin: f32, rdelta: f32, nstep: i32, use_mad: bool }

fn qkx_code(x: f32, iscale: f32, min: f32, nmax: i32) -> u32 {
  return u32(clamp(nearest_int(mul_rn(iscale, sub_nan(x, min))), 0, nmax));
}

// w · |scale·l + min − x|, or w · (scale·l + min − x)²
fn qkx_error(w: f32, x: f32, l: u32, scale: f32, min: f32, use_mad: bool) -> f32 {
  let diff = sub_nan(add_rn(mul_rn(scale, f32(l)), min), x);
  return mul_rn(w, select(mul_rn(diff, diff), fabs(diff), use_mad));
}

// n elements from xs[x0] with weights w, codes to L[at..]; returns the scale and −min
fn make_qkx2_quants(x0: u32, n: u32, w: ptr<function, Weights>, L: ptr<function, Codes>, at: u32, p: QkxSearch) -> ScaleMin {
  var min = xs[x0];
  var max = xs[x0];
  var sum_w = (*w)[0];
  var sum_x = mul_rn(sum_w, xs[x0]);
  for (var i = 1u; i < n; i = i + 1u) {
    let x = xs[x0 + i];
    if (lt(x, min)) { min = x; }
    if (lt(max, x)) { max = x; }
    sum_w = add_rn(sum_w, (*w)[i]);
    sum_x = add_rn(sum_x, mul_rn((*w)[i], x));
  }
  if (lt(0.0, min)) { min = 0.0; }
  if (!is_nan(max) && !is_nan(min) && order_key(max) == order_key(min)) {
    for (var i = 0u; i < n; i = i + 1u) { (*L)[at + i] = 0u; }
    return ScaleMin(0.0, neg(min));
  }
  let range = sub_nan(max, min);
  var iscale = fdiv_rn(f32(p.nmax), range);
  var scale = fdiv_rn(1.0, iscale);
  var best_error = 0.0;
  for (var i = 0u; i < n; i = i + 1u) {
    let l = qkx_code(xs[x0 + i], iscale, min, p.nmax);
    (*L)[at + i] = l;
    best_error = add_rn(best_error, qkx_error((*w)[i], xs[x0 + i], l, scale, min, p.use_mad));
  }
  var laux: array<u32, 32>;
  for (var is = 0; is <= p.nstep; is = is + 1) {
    iscale = fdiv_rn(add_rn(add_rn(p.rmin, mul_rn(p.rdelta, f32(is))), f32(p.nmax)), range);
    var sum_l = 0.0;
    var sum_l2 = 0.0;
    var sum_xl = 0.0;
    for (var i = 0u; i < n; i = i + 1u) {
      let x = xs[x0 + i];
      let l = qkx_code(x, iscale, min, p.nmax);
      laux[i] = l;
      let wl = mul_rn((*w)[i], f32(l));
      sum_l = add_rn(sum_l, wl);
      sum_l2 = add_rn(sum_l2, mul_rn(wl, f32(l)));
      sum_xl = add_rn(sum_xl, mul_rn(wl, x));
    }
    let D = sub_nan(mul_rn(sum_w, sum_l2), mul_rn(sum_l, sum_l));
    if (!lt(0.0, D)) { continue; }
    var this_scale = fdiv_rn(sub_nan(mul_rn(sum_w, sum_xl), mul_rn(sum_x, sum_l)), D);
    var this_min = fdiv_rn(sub_nan(mul_rn(sum_l2, sum_x), mul_rn(sum_l, sum_xl)), D);
    if (lt(0.0, this_min)) {
      this_min = 0.0;
      this_scale = fdiv_rn(sum_xl, sum_l2);
    }
    var cur_error = 0.0;
    for (var i = 0u; i < n; i = i + 1u) {
      cur_error = add_rn(cur_error, qkx_error((*w)[i], xs[x0 + i], laux[i], this_scale, this_min, p.use_mad));
    }
    if (lt(cur_error, best_error)) {
      for (var i = 0u; i < n; i = i + 1u) { (*L)[at + i] = laux[i]; }
      best_error = cur_error;
      scale = this_scale;
      min = this_min;
    }
  }
  return ScaleMin(scale, neg(min));
}

// ---------------- Q4_K / Q5_K (8 sub-blocks of 32, 6-bit scales and mins) ----------------

alias ScaleBytes = array<u32, 12>;

fn set_scale_min_k4(j: u32, ls: u32, lm: u32, q: ptr<function, ScaleBytes>) {
  if (j < 4u) {
    (*q)[j] = ls;
    (*q)[j + 4u] = lm;
  } else {
    (*q)[j + 4u] = (ls & 0xfu) | ((lm & 0xfu) << 4u);
    (*q)[j - 4u] = (*q)[j - 4u] | ((ls >> 4u) << 6u);
    (*q)[j] = (*q)[j] | ((lm >> 4u) << 6u);
  }
}

fn get_scale_min_k4(j: u32, q: ptr<function, ScaleBytes>) -> vec2<u32> {
  if (j < 4u) { return vec2<u32>((*q)[j] & 63u, (*q)[j + 4u] & 63u); }
  return vec2<u32>(((*q)[j + 4u] & 0xfu) | (((*q)[j - 4u] >> 6u) << 4u), ((*q)[j + 4u] >> 4u) | (((*q)[j] >> 6u) << 4u));
}

// The sub-block scales and mins, d and dmin (written at o), the codes 0..nmax in L.
fn qk_scales(x0: u32, o: u32, nmax: i32, L: ptr<function, Codes>) {
  var search = QkxSearch(15, -1.0, 0.1, 20, false);
  if (nmax == 31) { search = QkxSearch(31, -0.5, 0.1, 15, false); }
  var w: Weights;
  var scales: array<f32, 8>;
  var mins: array<f32, 8>;
  var max_scale = 0.0;
  var max_min = 0.0;
  for (var j = 0u; j < 8u; j = j + 1u) {
    let xb = x0 + 32u * j;
    var sum_x2 = 0.0;
    for (var l = 0u; l < 32u; l = l + 1u) { sum_x2 = add_rn(sum_x2, mul_rn(xs[xb + l], xs[xb + l])); }
    let av_x = sqrt_rn(fdiv_rn(sum_x2, 32.0));
    for (var l = 0u; l < 32u; l = l + 1u) { w[l] = add_rn(av_x, fabs(xs[xb + l])); }
    let sm = make_qkx2_quants(xb, 32u, &w, L, 32u * j, search);
    scales[j] = sm.scale;
    mins[j] = sm.the_min;
    max_scale = max_c(max_scale, scales[j]);
    max_min = max_c(max_min, mins[j]);
  }
  let inv_scale = select(0.0, fdiv_rn(63.0, max_scale), lt(0.0, max_scale));
  let inv_min = select(0.0, fdiv_rn(63.0, max_min), lt(0.0, max_min));
  var q: ScaleBytes;
  for (var j = 0u; j < 8u; j = j + 1u) {
    let ls = u32(nearest_int(mul_rn(inv_scale, scales[j]))) & 0xffu;
    let lm = u32(nearest_int(mul_rn(inv_min, mins[j]))) & 0xffu;
    set_scale_min_k4(j, min(63u, ls), min(63u, lm), &q);
  }
  let dh = f32_to_f16_bits(fdiv_rn(max_scale, 63.0));
  let mh = f32_to_f16_bits(fdiv_rn(max_min, 63.0));
  put_u16(o, dh);
  put_u16(o + 2u, mh);
  for (var j = 0u; j < 12u; j = j + 1u) { put_u8(o + 4u + j, q[j] & 0xffu); }
  for (var j = 0u; j < 8u; j = j + 1u) {
    let sm = get_scale_min_k4(j, &q);
    let d = mul_rn(f16_to_f32(dh), f32(sm.x));
    if (!nonzero(d)) { continue; }
    let dm = mul_rn(f16_to_f32(mh), f32(sm.y));
    for (var i = 32u * j; i < 32u * j + 32u; i = i + 1u) {
      (*L)[i] = u32(clamp(nearest_int(fdiv_rn(add_rn(xs[x0 + i], dm), d)), 0, nmax));
    }
  }
}

fn q_Q4_K(x0: u32, o: u32) {
  var L: Codes;
  qk_scales(x0, o, 15, &L);
  for (var j = 0u; j < 256u; j = j + 64u) {
    for (var l = 0u; l < 32u; l = l + 1u) { put_u8(o + 16u + j / 2u + l, L[j + l] | (L[j + l + 32u] << 4u)); }
  }
}

fn q_Q5_K(x0: u32, o: u32) {
  var L: Codes;
  qk_scales(x0, o, 31, &L);
  var qh: array<u32, 32>;
  for (var n = 0u; n < 4u; n = n + 1u) {
    for (var j = 0u; j < 32u; j = j + 1u) {
      let l1 = L[64u * n + j];
      let l2 = L[64u * n + j + 32u];
      qh[j] = qh[j] | ((l1 >> 4u) << (2u * n)) | ((l2 >> 4u) << (2u * n + 1u));
      put_u8(o + 48u + 32u * n + j, (l1 & 0xfu) | ((l2 & 0xfu) << 4u));
    }
  }
  for (var j = 0u; j < 32u; j = j + 1u) { put_u8(o + 16u + j, qh[j]); }
}
