// Round-to-nearest quantizers of the k-quants Q2_K … Q6_K, no importance: ggml's scale searches
// (native/src/core/formats/search.cpp) and block layouts (kquants.cpp). Q6_K does every float
// operation as the C++ does it (softfloat.wgsl); Q2_K–Q5_K's searches, several times longer, use
// guarded native arithmetic (guarded.wgsl) and hand back the blocks it cannot vouch for.
// Part of the quantize kernel (quantize.wgsl, quantize_nl.wgsl).

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

// ---------------- make_qkx2_quants (codes 0..nmax with a scale and a min), for Q2_K, Q4_K, Q5_K ----------------

alias Weights = array<f32, 32>;

struct QkxSearch { n: u32, nmax: i32, rmin: f32, rdelta: f32, nstep: i32, use_mad: bool }

struct ScaleMin { scale: f32, the_min: f32 }

// a·b − c·d, each product rounded, as the C++ writes its 2×2 determinants
fn det2(a: f32, b: f32, c: f32, d: f32) -> f32 { return gsub(gmul(a, b), gmul(c, d)); }

// ggml's make_qkx2_quants. Its first guess nmax/(max − min) is step −1 of the sweep, always taken,
// so that each sum, error and code is written once. As in ggml, a better step moves the min, and
// later steps measure x from the moved min.
fn make_qkx2_quants(x0: u32, w: ptr<function, Weights>, L: ptr<function, Codes>, at: u32, p: QkxSearch) -> ScaleMin {
  var min = xs[x0];
  var max = xs[x0];
  var sum_w = 0.0;
  var sum_x = 0.0;
  for (var i = 0u; i < p.n; i = i + 1u) {
    let x = xs[x0 + i];
    if (lt(x, min)) { min = x; }
    if (lt(max, x)) { max = x; }
    let wx = gmul((*w)[i], x);
    if (i == 0u) {
      sum_w = (*w)[0];
      sum_x = wx;
    } else {
      sum_w = gadd(sum_w, (*w)[i]);
      sum_x = gadd(sum_x, wx);
    }
  }
  if (lt(0.0, min)) { min = 0.0; }
  if (!is_nan(max) && !is_nan(min) && feq(max, min)) {
    for (var i = 0u; i < p.n; i = i + 1u) { (*L)[at + i] = 0u; }
    return ScaleMin(0.0, neg(min));
  }
  var scale = 0.0;
  var best_error = 0.0;
  var xm: Weights;  // x − min for the current min
  var laux: array<u32, 32>;
  var moved = true;
  for (var s = -1; s <= p.nstep; s = s + 1) {
    if (moved) {
      for (var i = 0u; i < p.n; i = i + 1u) { xm[i] = gsub(xs[x0 + i], min); }
      moved = false;
    }
    // normal constants: plain arithmetic rounds as the C++ does
    var num = f32(p.nmax);
    if (s >= 0) { num = (p.rmin + nofma(p.rdelta * f32(s))) + num; }
    let iscale = fdiv_rn(num, gsub(max, min));
    var sum_l = 0.0;
    var sum_l2 = 0.0;
    var sum_xl = 0.0;
    for (var i = 0u; i < p.n; i = i + 1u) {
      let l = u32(clamp(nearest_int(gmul(iscale, xm[i])), 0, p.nmax));
      laux[i] = l;
      let wl = gmul((*w)[i], f32(l));
      sum_l = gadd(sum_l, wl);
      sum_l2 = gadd(sum_l2, gmul(wl, f32(l)));
      sum_xl = gadd(sum_xl, gmul(wl, xs[x0 + i]));
    }
    var this_scale = 0.0;
    var this_min = min;
    if (s < 0) {
      this_scale = fdiv_rn(1.0, iscale);
    } else {
      let D = det2(sum_w, sum_l2, sum_l, sum_l);
      if (!lt(0.0, D)) { continue; }
      this_scale = fdiv_rn(det2(sum_w, sum_xl, sum_x, sum_l), D);
      this_min = fdiv_rn(det2(sum_l2, sum_x, sum_l, sum_xl), D);
      if (lt(0.0, this_min)) {
        this_min = 0.0;
        this_scale = fdiv_rn(sum_xl, sum_l2);
      }
    }
    var err = 0.0;
    for (var i = 0u; i < p.n; i = i + 1u) {
      let diff = gsub(gadd(gmul(this_scale, f32(laux[i])), this_min), xs[x0 + i]);
      err = gadd(err, gmul((*w)[i], select(gmul(diff, diff), fabs(diff), p.use_mad)));
    }
    if (s < 0 || lt(err, best_error)) {
      for (var i = 0u; i < p.n; i = i + 1u) { (*L)[at + i] = laux[i]; }
      best_error = err;
      scale = this_scale;
      if (bitcast<u32>(this_min) != bitcast<u32>(min)) {
        min = this_min;
        moved = true;
      }
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

// The sub-block scales and mins, d and dmin (written at o), and the codes 0..nmax in L.
fn qk_scales(x0: u32, o: u32, nmax: i32, L: ptr<function, Codes>) {
  var search = QkxSearch(32u, 15, -1.0, 0.1, 20, false);
  if (nmax == 31) { search = QkxSearch(32u, 31, -0.5, 0.1, 15, false); }
  var w: Weights;
  var scales: array<f32, 8>;
  var mins: array<f32, 8>;
  var max_scale = 0.0;
  var max_min = 0.0;
  for (var j = 0u; j < 8u; j = j + 1u) {
    let xb = x0 + 32u * j;
    var sum_x2 = 0.0;
    for (var l = 0u; l < 32u; l = l + 1u) { sum_x2 = gadd(sum_x2, gmul(xs[xb + l], xs[xb + l])); }
    let av_x = sqrt_rn(gmul(sum_x2, 0.03125));  // sum_x2 / 32, the same rounding
    for (var l = 0u; l < 32u; l = l + 1u) { w[l] = gadd(av_x, fabs(xs[xb + l])); }
    let sm = make_qkx2_quants(xb, &w, L, 32u * j, search);
    scales[j] = sm.scale;
    mins[j] = sm.the_min;
    max_scale = max_c(max_scale, scales[j]);
    max_min = max_c(max_min, mins[j]);
  }
  let inv_scale = select(0.0, fdiv_rn(63.0, max_scale), lt(0.0, max_scale));
  let inv_min = select(0.0, fdiv_rn(63.0, max_min), lt(0.0, max_min));
  var q: ScaleBytes;
  for (var j = 0u; j < 8u; j = j + 1u) {
    let ls = u32(nearest_int(gmul(inv_scale, scales[j]))) & 0xffu;
    let lm = u32(nearest_int(gmul(inv_min, mins[j]))) & 0xffu;
    set_scale_min_k4(j, min(63u, ls), min(63u, lm), &q);
  }
  let dh = f32_to_f16_bits(fdiv_rn(max_scale, 63.0));
  let mh = f32_to_f16_bits(fdiv_rn(max_min, 63.0));
  put_u16(o, dh);
  put_u16(o + 2u, mh);
  for (var j = 0u; j < 12u; j = j + 1u) { put_u8(o + 4u + j, q[j] & 0xffu); }
  for (var j = 0u; j < 8u; j = j + 1u) {
    let sm = get_scale_min_k4(j, &q);
    let d = gmul(f16_to_f32(dh), f32(sm.x));
    if (!nonzero(d)) { continue; }
    let dm = gmul(f16_to_f32(mh), f32(sm.y));
    for (var i = 32u * j; i < 32u * j + 32u; i = i + 1u) {
      (*L)[i] = u32(clamp(nearest_int(fdiv_rn(gadd(xs[x0 + i], dm), d)), 0, nmax));
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

// 2-bit codes of 256 elements: byte (e/128)*32 + e%32, shift 2*((e%128)/32)
fn pack2(L: ptr<function, Codes>, o: u32) {
  for (var j = 0u; j < 256u; j = j + 128u) {
    for (var l = 0u; l < 32u; l = l + 1u) {
      put_u8(o + j / 4u + l, (*L)[j + l] | ((*L)[j + l + 32u] << 2u) | ((*L)[j + l + 64u] << 4u) | ((*L)[j + l + 96u] << 6u));
    }
  }
}

// ---------------- Q2_K (16 sub-blocks of 16, 4-bit scales and mins) ----------------

fn q_Q2_K(x0: u32, o: u32) {
  var L: Codes;
  var w: Weights;
  var scales: array<f32, 16>;
  var mins: array<f32, 16>;
  var max_scale = 0.0;
  var max_min = 0.0;
  for (var j = 0u; j < 16u; j = j + 1u) {
    for (var l = 0u; l < 16u; l = l + 1u) { w[l] = fabs(xs[x0 + 16u * j + l]); }
    let sm = make_qkx2_quants(x0 + 16u * j, &w, &L, 16u * j, QkxSearch(16u, 3, -0.5, 0.1, 15, true));
    scales[j] = sm.scale;
    mins[j] = sm.the_min;
    max_scale = max_c(max_scale, scales[j]);
    max_min = max_c(max_min, mins[j]);
  }
  var sc: array<u32, 16>;
  var dh = 0u;
  var mh = 0u;
  if (lt(0.0, max_scale)) {
    let iscale = fdiv_rn(15.0, max_scale);
    for (var j = 0u; j < 16u; j = j + 1u) { sc[j] = u32(nearest_int(gmul(iscale, scales[j]))) & 0xffu; }
    dh = f32_to_f16_bits(fdiv_rn(max_scale, 15.0));
  }
  if (lt(0.0, max_min)) {
    let iscale = fdiv_rn(15.0, max_min);
    for (var j = 0u; j < 16u; j = j + 1u) { sc[j] = (sc[j] | (u32(nearest_int(gmul(iscale, mins[j]))) << 4u)) & 0xffu; }
    mh = f32_to_f16_bits(fdiv_rn(max_min, 15.0));
  }
  for (var j = 0u; j < 16u; j = j + 1u) { put_u8(o + j, sc[j]); }
  put_u16(o + 80u, dh);
  put_u16(o + 82u, mh);
  for (var j = 0u; j < 16u; j = j + 1u) {
    let d = gmul(f16_to_f32(dh), f32(sc[j] & 0xfu));
    if (!nonzero(d)) { continue; }
    let m = gmul(f16_to_f32(mh), f32(sc[j] >> 4u));
    for (var i = 16u * j; i < 16u * j + 16u; i = i + 1u) {
      L[i] = u32(clamp(nearest_int(fdiv_rn(gadd(xs[x0 + i], m), d)), 0, 3));
    }
  }
  pack2(&L, o + 16u);
}

// ---------------- make_q3_quants (codes −4..3 around zero, weights x², refined), for Q3_K ----------------

fn make_q3_quants(x0: u32, L: ptr<function, Codes>, at: u32) -> f32 {
  let max = signed_absmax_n(x0, 16u);
  if (below_eps(max)) {
    for (var i = 0u; i < 16u; i = i + 1u) { (*L)[at + i] = 0u; }
    return 0.0;
  }
  let iscale = fdiv_rn(-4.0, max);
  var l: array<i32, 16>;
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < 16u; i = i + 1u) {
    let x = xs[x0 + i];
    l[i] = clamp(nearest_int(gmul(iscale, x)), -4, 3);
    let w = gmul(x, x);
    sumlx = gadd(sumlx, gmul(gmul(w, x), f32(l[i])));
    suml2 = gadd(suml2, gmul(gmul(w, f32(l[i])), f32(l[i])));
  }
  // ggml's refinement: move one code at a time while Σw·x·l / √Σw·l² grows
  for (var itry = 0; itry < 5; itry = itry + 1) {
    var changed = false;
    for (var i = 0u; i < 16u; i = i + 1u) {
      let x = xs[x0 + i];
      let w = gmul(x, x);
      var slx = gsub(sumlx, gmul(gmul(w, x), f32(l[i])));
      if (!lt(0.0, slx)) { continue; }
      var sl2 = gsub(suml2, gmul(gmul(w, f32(l[i])), f32(l[i])));
      let new_l = clamp(nearest_int(fdiv_rn(gmul(x, sl2), slx)), -4, 3);
      if (new_l == l[i]) { continue; }
      slx = gadd(slx, gmul(gmul(w, x), f32(new_l)));
      sl2 = gadd(sl2, gmul(gmul(w, f32(new_l)), f32(new_l)));
      if (lt(0.0, sl2) && lt(gmul(gmul(sumlx, sumlx), sl2), gmul(gmul(slx, slx), suml2))) {
        l[i] = new_l;
        sumlx = slx;
        suml2 = sl2;
        changed = true;
      }
    }
    if (!changed) { break; }
  }
  for (var i = 0u; i < 16u; i = i + 1u) { (*L)[at + i] = u32(l[i] + 4); }
  return fdiv_rn(sumlx, suml2);
}

// ---------------- Q3_K (16 sub-blocks of 16, 6-bit signed scales) ----------------

fn q3_k_set_scale(j: u32, v: u32, q: ptr<function, ScaleBytes>) {
  if (j < 8u) { (*q)[j] = v & 0xfu; } else { (*q)[j - 8u] = (*q)[j - 8u] | ((v & 0xfu) << 4u); }
  (*q)[j % 4u + 8u] = (*q)[j % 4u + 8u] | ((v >> 4u) << (2u * (j / 4u)));
}

fn q3_k_scale(j: u32, q: ptr<function, ScaleBytes>) -> i32 {
  let low = select((*q)[j - 8u] >> 4u, (*q)[j] & 0xfu, j < 8u);
  return i32(low | ((((*q)[8u + j % 4u] >> (2u * (j / 4u))) & 3u) << 4u)) - 32;
}

fn q_Q3_K(x0: u32, o: u32) {
  var L: Codes;
  var scales: array<f32, 16>;
  var max_scale = 0.0;
  for (var j = 0u; j < 16u; j = j + 1u) {
    scales[j] = make_q3_quants(x0 + 16u * j, &L, 16u * j);
    if (abs_gt(scales[j], max_scale)) { max_scale = scales[j]; }
  }
  var q: ScaleBytes;
  var dh = 0u;
  if (nonzero(max_scale)) {
    let iscale = fdiv_rn(-32.0, max_scale);
    for (var j = 0u; j < 16u; j = j + 1u) {
      let l = (nearest_int(gmul(iscale, scales[j])) << 24u) >> 24u;  // as int8_t
      q3_k_set_scale(j, u32(clamp(l, -32, 31) + 32), &q);
    }
    dh = f32_to_f16_bits(fdiv_rn(1.0, iscale));
  }
  for (var j = 0u; j < 16u; j = j + 1u) {
    let d = gmul(f16_to_f32(dh), f32(q3_k_scale(j, &q)));
    if (!nonzero(d)) { continue; }
    for (var i = 16u * j; i < 16u * j + 16u; i = i + 1u) {
      L[i] = u32(clamp(nearest_int(fdiv_rn(xs[x0 + i], d)), -4, 3) + 4);
    }
  }
  var hmask: array<u32, 32>;
  for (var j = 0u; j < 256u; j = j + 1u) {
    if (L[j] > 3u) {
      hmask[j % 32u] = hmask[j % 32u] | (1u << (j / 32u));
      L[j] = L[j] - 4u;
    }
  }
  for (var m = 0u; m < 32u; m = m + 1u) { put_u8(o + m, hmask[m]); }
  pack2(&L, o + 32u);
  for (var j = 0u; j < 12u; j = j + 1u) { put_u8(o + 96u + j, q[j]); }
  put_u16(o + 108u, dh);
}
