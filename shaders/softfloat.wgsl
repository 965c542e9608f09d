// Float operations whose WGSL versions may differ from the C++ reference:
// - `/` is only accurate to 2.5 ULP in WGSL; fdiv_rn is the correctly rounded IEEE division.
// - C's float -> int8 cast (cvttss2si, then the low byte; out of range gives INT_MIN) where WGSL saturates.
// - C's roundf rounds halves away from zero; WGSL's round() rounds them to even.
// - devices may flush f32 subnormals to zero (SwiftShader does): comparisons and zero tests are done on
//   the bits, and a subnormal factor is scaled into the normal range before a multiply.
// - a multiply followed by an add may be fused by the device compiler; nofma() hides the product
//   behind a bit operation with a runtime zero (`params.zero`) so both are rounded as in the C++.

fn nofma(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | params.zero);
}

// Significand with the implicit bit, and unbiased exponent, of a finite non-zero |x| (normalised).
struct Unpacked { m: u32, e: i32 }

fn unpack_abs(u: u32) -> Unpacked {
  var e = i32((u >> 23u) & 0xffu);
  var m = u & 0x7fffffu;
  if (e == 0) {
    let lz = countLeadingZeros(m) - 8u;  // bring the leading bit to position 23
    m = m << lz;
    e = 1 - i32(lz);
  } else {
    m = m | 0x800000u;
  }
  return Unpacked(m, e);
}

fn fdiv_rn(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sign = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa > 0x7f800000u) { return bitcast<f32>(ua | 0x400000u); }
  if (ab > 0x7f800000u) { return bitcast<f32>(ub | 0x400000u); }
  if (aa == 0x7f800000u) {
    if (ab == 0x7f800000u) { return bitcast<f32>(0xffc00000u | params.zero); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (ab == 0x7f800000u) { return bitcast<f32>(sign); }
  if (ab == 0u) {
    if (aa == 0u) { return bitcast<f32>(0xffc00000u | params.zero); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (aa == 0u) { return bitcast<f32>(sign); }

  let pa = unpack_abs(aa);
  let pb = unpack_abs(ab);
  var ma = pa.m;
  let mb = pb.m;
  var e = pa.e - pb.e + 127;
  if (ma < mb) { ma = ma << 1u; e = e - 1; }
  // restoring division: 25 quotient bits (24 significand + 1 guard), remainder for the sticky bit
  var q = 0u;
  var r = ma;
  for (var i = 0u; i < 25u; i = i + 1u) {
    q = q << 1u;
    if (r >= mb) { r = r - mb; q = q | 1u; }
    r = r << 1u;
  }
  var sticky = r != 0u;
  var s = 1u;  // bits of q below the result's last significand bit
  if (e <= 0) {
    let extra = u32(1 - e);
    if (extra > 25u) { return bitcast<f32>(sign); }
    s = s + extra;
  }
  var mant = q >> s;
  let guard = (q >> (s - 1u)) & 1u;
  if (s > 1u) { sticky = sticky || (q & ((1u << (s - 1u)) - 1u)) != 0u; }
  if (guard == 1u && (sticky || (mant & 1u) == 1u)) { mant = mant + 1u; }
  if (e <= 0) { return bitcast<f32>(sign | mant); }  // subnormal (a carry into bit 23 makes it the smallest normal)
  if (mant == 0x1000000u) { mant = 0x800000u; e = e + 1; }
  if (e >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
  return bitcast<f32>(sign | (u32(e) << 23u) | (mant & 0x7fffffu));
}

// static_cast<int8_t>(v) as x86 compilers do it: truncate to int32 (INT_MIN when out of range or NaN), keep the low byte.
fn c_cast_i8(v: f32) -> i32 {
  var i = i32(-2147483647 - 1);
  if (abs(v) < 2147483648.0) { i = i32(v); }
  return (i << 24u) >> 24u;
}

fn round_half_away(v: f32) -> f32 {
  let t = trunc(v);
  if (abs(v - t) >= 0.5) { return t + sign(v); }
  return t;
}

// Total order key of a float for < and > as IEEE compares them (-0 == +0), on the bits.
fn order_key(v: f32) -> i32 {
  let u = bitcast<u32>(v);
  if ((u & 0x80000000u) != 0u) { return -i32(u & 0x7fffffffu); }
  return i32(u);
}

fn abs_bits(v: f32) -> u32 { return bitcast<u32>(v) & 0x7fffffffu; }
fn is_nan(v: f32) -> bool { return abs_bits(v) > 0x7f800000u; }
fn lt(a: f32, b: f32) -> bool { return !is_nan(a) && !is_nan(b) && order_key(a) < order_key(b); }
fn le(a: f32, b: f32) -> bool { return !is_nan(a) && !is_nan(b) && order_key(a) <= order_key(b); }
// |a| > |b| (false when either is NaN)
fn abs_gt(a: f32, b: f32) -> bool { return !is_nan(a) && abs_bits(a) > abs_bits(b); }
fn nonzero(v: f32) -> bool { return abs_bits(v) != 0u; }

// x · y rounded once, as IEEE does it, also when x is subnormal (y normal and large: a reciprocal
// scale). x·2^24 is built on the bits and y·2^-24 is exact.
fn mul_sub(x: f32, y: f32) -> f32 {
  let u = bitcast<u32>(x);
  if ((u & 0x7f800000u) != 0u || (u & 0x7fffffu) == 0u) { return x * y; }
  let p = unpack_abs(u & 0x7fffffffu);
  let up = (u & 0x80000000u) | (u32(p.e + 24) << 23u) | (p.m & 0x7fffffu);
  return bitcast<f32>(up) * (y * 5.9604644775390625e-8);
}

// a − b rounded as IEEE does it, also when an operand or the result is subnormal: operands below
// 2^-62 are scaled by 2^64 on the bits (exact), subtracted, and the result scaled back on the bits
// (exact: a subnormal difference of such values is representable).
fn scale_up64(v: f32) -> f32 {
  let u = bitcast<u32>(v);
  if ((u & 0x7fffffffu) == 0u) { return v; }
  let p = unpack_abs(u & 0x7fffffffu);
  return bitcast<f32>((u & 0x80000000u) | (u32(p.e + 64) << 23u) | (p.m & 0x7fffffu));
}

fn scale_down64(v: f32) -> f32 {
  let u = bitcast<u32>(v);
  let a = u & 0x7fffffffu;
  if (a == 0u) { return v; }
  let e = i32(a >> 23u) - 64;
  if (e >= 1) { return bitcast<f32>((u & 0x80000000u) | (u32(e) << 23u) | (a & 0x7fffffu)); }
  let m = (a & 0x7fffffu) | 0x800000u;
  return bitcast<f32>((u & 0x80000000u) | (m >> u32(1 - e)));
}

fn sub_rn(a: f32, b: f32) -> f32 {
  if (abs_bits(a) >= 0x20800000u || abs_bits(b) >= 0x20800000u) { return a - b; }
  return scale_down64(scale_up64(a) - scale_up64(b));
}

fn neg(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) ^ 0x80000000u); }
fn fabs(v: f32) -> f32 { return bitcast<f32>(abs_bits(v)); }
// A NaN result as x86 makes it: the first NaN operand, quieted, else the default NaN.
fn x86_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return bitcast<f32>(bitcast<u32>(a) | 0x400000u); }
  if (is_nan(b)) { return bitcast<f32>(bitcast<u32>(b) | 0x400000u); }
  return bitcast<f32>(0xffc00000u | params.zero);
}

fn add_rn(a: f32, b: f32) -> f32 {
  let s = sub_rn(a, neg(b));
  return select(s, x86_nan(a, b), is_nan(s));
}

fn sub_nan(a: f32, b: f32) -> f32 {
  let s = sub_rn(a, b);
  return select(s, x86_nan(a, b), is_nan(s));
}
// std::max(a, b) and std::min(a, b): (a < b) ? b : a and (b < a) ? b : a
fn max_c(a: f32, b: f32) -> f32 { return select(a, b, lt(a, b)); }
fn min_c(a: f32, b: f32) -> f32 { return select(a, b, lt(b, a)); }
fn feq(a: f32, b: f32) -> bool { return order_key(a) == order_key(b); }

// x · y rounded once as IEEE does it, subnormal operands and results included, and never fused
// with a following add. Products whose exponent may leave the normal range are done on the
// significands (24 × 24 bits in 12-bit halves).
fn mul_rn(x: f32, y: f32) -> f32 {
  let ux = bitcast<u32>(x);
  let uy = bitcast<u32>(y);
  let ex = i32((ux >> 23u) & 0xffu);
  let ey = i32((uy >> 23u) & 0xffu);
  let zero_or_special = abs_bits(x) == 0u || abs_bits(y) == 0u || ex == 255 || ey == 255;
  if (zero_or_special || (ex != 0 && ey != 0 && ex + ey - 127 > 1)) {
    let p = nofma(x * y);
    return select(p, x86_nan(x, y), is_nan(p));
  }
  return mul_small(ux, uy);
}

// The product of finite non-zero x and y (as bits) when it may be subnormal or tiny: the 48-bit
// product of the significands, rounded once.
fn mul_small(ux: u32, uy: u32) -> f32 {
  let sign = (ux ^ uy) & 0x80000000u;
  let px = unpack_abs(ux & 0x7fffffffu);
  let py = unpack_abs(uy & 0x7fffffffu);
  let a1 = px.m >> 12u;
  let a0 = px.m & 0xfffu;
  let b1 = py.m >> 12u;
  let b0 = py.m & 0xfffu;
  let mid = a1 * b0 + a0 * b1;
  let lo = a0 * b0 + ((mid & 0xfffu) << 12u);
  var hi = a1 * b1 + (mid >> 12u) + (lo >> 24u);  // product = hi · 2^24 + rest, in [2^46, 2^48)
  var rest = lo & 0xffffffu;
  var e = px.e + py.e - 127;                       // biased exponent of the product's leading bit
  if (hi >= 0x800000u) { e = e + 1; } else { hi = (hi << 1u) | (rest >> 23u); rest = (rest << 1u) & 0xffffffu; }
  var sticky = (rest & 0x7fffffu) != 0u;
  var guard = rest >> 23u;
  if (e <= 0) {  // subnormal: shift right by 1 - e more (25 and more leave nothing that rounds up)
    let sh = u32(min(1 - e, 25));
    sticky = sticky || guard != 0u || (hi & ((1u << (sh - 1u)) - 1u)) != 0u;
    guard = (hi >> (sh - 1u)) & 1u;
    hi = select(hi >> sh, 0u, sh > 24u);
    e = 0;
  }
  var bits = (u32(min(e, 255)) << 23u) + (hi & select(0xffffffu, 0x7fffffu, e > 0));
  if (guard == 1u && (sticky || (hi & 1u) == 1u) && e < 255) { bits = bits + 1u; }  // a carry moves into the exponent
  if (e >= 255) { bits = 0x7f800000u; }
  return bitcast<f32>(sign | bits);
}

// √v correctly rounded for v ≥ 0 (subnormal v included), digit by digit on the significand.
fn sqrt_rn(v: f32) -> f32 {
  let u = bitcast<u32>(v);
  if ((u & 0x7fffffffu) == 0u || u >= 0x7f800000u) { return sqrt(v); }
  let p = unpack_abs(u);
  var t = p.e - 127 - 23;  // v = m · 2^t
  var m = p.m;
  if ((t & 1) != 0) { m = m << 1u; t = t - 1; }
  // q = ⌊√(m · 2^26)⌋ (25 or 26 bits), r the remainder
  var q = 0u;
  var r = 0u;
  for (var i = 25; i >= 0; i = i - 1) {
    var pair = 0u;
    if (2 * i >= 26) { pair = (m >> u32(2 * i - 26)) & 3u; }
    r = (r << 2u) | pair;
    let trial = (q << 2u) | 1u;
    q = q << 1u;
    if (r >= trial) { r = r - trial; q = q | 1u; }
  }
  let shift = (32u - countLeadingZeros(q)) - 24u;  // 1 or 2 bits below the significand
  var mant = q >> shift;
  let rem = q & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (r != 0u || (mant & 1u) == 1u))) { mant = mant + 1u; }
  let e = 23 + i32(shift) + t / 2 - 13 + 127;  // mant · 2^(shift + t/2 - 13), mant < 2^24
  return bitcast<f32>((u32(e) << 23u) + (mant - 0x800000u));
}

// ggml's nearest_int: the rounded integer left in the low mantissa bits of v + 1.5·2^23.
fn nearest_int(v: f32) -> i32 {
  return i32(bitcast<u32>(nofma(v) + 12582912.0) & 0x7fffffu) - 0x400000;
}
