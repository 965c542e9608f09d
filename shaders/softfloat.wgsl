// Float operations whose WGSL versions may differ from the C++ reference:
// - `/` is only accurate to 2.5 ULP in WGSL; fdiv_rn is the correctly rounded IEEE division.
// - C's float -> int8 cast (cvttss2si, then the low byte; out of range gives INT_MIN) where WGSL saturates.
// - C's roundf rounds halves away from zero; WGSL's round() rounds them to even.
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
