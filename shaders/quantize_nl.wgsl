// Round-to-nearest quantizers of the non-linear grids MXFP4, IQ4_NL and IQ4_XS, no importance
// (native/src/core/formats/mxfp4.cpp, iq4.cpp). Part of the quantize kernel (quantize.wgsl).

const GROUP_MAX_EPS: f32 = 1e-15;

// ---------------- MXFP4 ----------------

// E2M1 magnitudes doubled, sign in bit 3 (the index is the code)
const E2M1_X2 = array<f32, 16>(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);

// floor(log2f(a)) for a finite a > 0 given as bits: the exponent, plus one where log2f rounds up
// to the next integer. That happens when a = 2^(n)·(1 − k·2^-24) with k·2^-24 below half an ulp
// of n (as a float) times ln 2, i.e. k < 2^P·ln 2, P the exponent of the floats next to n on a's side.
fn floor_log2f(a: u32) -> i32 {
  let p = unpack_abs(a);
  let e = p.e - 127;
  let n = e + 1;
  var pn = -1;
  if (n >= 2) { pn = i32(31u - countLeadingZeros(u32(n - 1))); }
  if (n <= -1) { pn = i32(31u - countLeadingZeros(u32(-n))); }
  if (pn <= 0) { return e; }
  let k = f32(0x1000000u - p.m);
  return select(e, n, k < ldexp(0.6931472, pn));
}

// ggml's shared exponent: floor(log2(amax)) - 2 + 127, cast to uint8_t as x86 does (through int32).
fn mxfp4_exponent(x0: u32) -> u32 {
  var amax = 0u;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let a = abs_bits(xs[x0 + j]);
    if (a > amax && a <= 0x7f800000u) { amax = a; }  // std::max ignores NaN
  }
  if (amax == 0u || amax == 0x7f800000u) { return 0u; }  // (int)inf is INT_MIN: low byte 0
  return u32(floor_log2f(amax) - 2 + 127) & 0xffu;
}

// 2^(e-127) / 2, the scale of the doubled grid
fn e8m0_half(e: u32) -> f32 {
  if (e < 2u) { return bitcast<f32>(0x00200000u << e); }
  return bitcast<f32>((e - 1u) << 23u);
}

fn nearest_e2m1(x: f32, d: f32) -> u32 {
  var best = 0u;
  var best_err = abs_bits(x);
  for (var i = 1u; i < 16u; i = i + 1u) {
    let err = abs_bits(sub_rn(mul_rn(E2M1_X2[i], d), x));
    if (err < best_err) { best = i; best_err = err; }
  }
  return best;
}

fn q_MXFP4(x0: u32, o: u32) {
  let e = mxfp4_exponent(x0);
  let d = e8m0_half(e);
  put_u8(o, e);
  for (var j = 0u; j < 16u; j = j + 1u) {
    put_u8(o + 1u + j, nearest_e2m1(xs[x0 + j], d) | (nearest_e2m1(xs[x0 + 16u + j], d) << 4u));
  }
}

// ---------------- IQ4_NL / IQ4_XS ----------------

const IQ4_LEVELS = array<f32, 16>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

// best_index_int8: the nearest level (ties to the lower one)
fn iq4_index(x: f32) -> u32 {
  if (le(x, IQ4_LEVELS[0])) { return 0u; }
  if (le(IQ4_LEVELS[15], x)) { return 15u; }
  var lo = 0u;
  var hi = 15u;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (lt(x, IQ4_LEVELS[mid])) { hi = mid; } else { lo = mid; }
  }
  return select(hi, hi - 1u, lt(sub_nan(x, IQ4_LEVELS[hi - 1u]), sub_nan(IQ4_LEVELS[hi], x)));
}

// Σ w·q·x and Σ w·q·q over a 32-element block for the grid scaled by 1/id, w = x².
fn iq4_sums(xb: u32, id: f32) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let x = xs[xb + j];
    let q = IQ4_LEVELS[iq4_index(mul_rn(id, x))];
    let wq = mul_rn(mul_rn(x, x), q);
    sumqx = add_rn(sumqx, mul_rn(wq, x));
    sumq2 = add_rn(sumq2, mul_rn(wq, q));
  }
  return vec2<f32>(sumqx, sumq2);
}

// The scale of one 32-element block (ggml's quantize_row_iq4_nl_impl, ntry = 7), 0 below GROUP_MAX_EPS.
fn iq4_block_scale(xb: u32) -> f32 {
  let max = signed_absmax(xb);
  if (abs_bits(max) < bitcast<u32>(GROUP_MAX_EPS)) { return 0.0; }
  let s0 = iq4_sums(xb, fdiv_rn(1.0, fdiv_rn(neg(max), -127.0)));
  var d = fdiv_rn(s0.x, s0.y);
  var best = mul_rn(d, s0.x);
  for (var itry = -7; itry <= 7; itry = itry + 1) {
    let s = iq4_sums(xb, fdiv_rn(f32(itry - 127), max));
    if (lt(0.0, s.y) && lt(mul_rn(best, s.y), mul_rn(s.x, s.x))) {
      d = fdiv_rn(s.x, s.y);
      best = mul_rn(d, s.x);
    }
  }
  return d;
}

// 32 indices for the scale 1/id, packed (element j low nibble, j + 16 high)
fn iq4_pack32(xb: u32, id: f32, o: u32) {
  for (var j = 0u; j < 16u; j = j + 1u) {
    put_u8(o + j, iq4_index(mul_rn(id, xs[xb + j])) | (iq4_index(mul_rn(id, xs[xb + 16u + j])) << 4u));
  }
}

fn q_IQ4_NL(x0: u32, o: u32) {
  let d = iq4_block_scale(x0);
  put_u16(o, f32_to_f16_bits(d));
  iq4_pack32(x0, inverse_or_zero(d), o + 2u);
}

fn q_IQ4_XS(x0: u32, o: u32) {
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib = ib + 1u) {
    scales[ib] = iq4_block_scale(x0 + 32u * ib);
    if (abs_gt(scales[ib], max_scale)) { max_scale = scales[ib]; }
  }
  let d = fdiv_rn(neg(max_scale), 32.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  var scales_h = 0u;
  for (var ib = 0u; ib < 8u; ib = ib + 1u) {
    let l = clamp(nearest_int(mul_rn(id, scales[ib])), -32, 31);
    iq4_pack32(x0 + 32u * ib, inverse_or_zero(mul_rn(d, f32(l))), o + 8u + 16u * ib);
    let code = u32(l + 32);
    put_u8(o + 4u + ib / 2u, (code & 0xfu) << (4u * (ib % 2u)));
    scales_h = scales_h | ((code >> 4u) << (2u * ib));
  }
  put_u16(o + 2u, scales_h);
}
