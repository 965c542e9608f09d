// IEEE half and bfloat16 conversions done on the bits, so that the results equal the C++
// reference (native/include/lowbit/fp16.h) exactly, subnormals included, whatever the
// device does with f32 subnormals.

fn f16_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  var mant = h & 0x3ffu;
  if (e == 0u) {
    if (mant == 0u) { return sign; }
    // subnormal half: normalise (the result is a normal f32)
    var k = 0u;
    loop {
      mant = mant << 1u;
      if ((mant & 0x400u) != 0u) { break; }
      k = k + 1u;
    }
    mant = mant & 0x3ffu;
    return sign | ((127u - 15u - k) << 23u) | (mant << 13u);
  }
  if (e == 0x1fu) { return sign | 0x7f800000u | (mant << 13u); }
  return sign | ((e + 127u - 15u) << 23u) | (mant << 13u);
}

fn f16_to_f32(h: u32) -> f32 {
  return bitcast<f32>(f16_to_f32_bits(h));
}

// Round to nearest even, as vcvtps2ph.
fn f32_to_f16_bits(f: f32) -> u32 {
  let x = bitcast<u32>(f);
  let sign = (x >> 16u) & 0x8000u;
  let absx = x & 0x7fffffffu;
  if (absx > 0x7f800000u) { return sign | 0x7e00u | ((absx >> 13u) & 0x3ffu); }
  if (absx >= 0x477ff000u) { return sign | 0x7c00u; }
  if (absx < 0x38800000u) {
    if (absx < 0x33000000u) { return sign; }
    let e = absx >> 23u;
    let m = (absx & 0x7fffffu) | 0x800000u;
    let shift = 126u - e;
    var r = m >> shift;
    let rem = m & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (r & 1u) != 0u)) { r = r + 1u; }
    return sign | r;
  }
  var r = (absx - 0x38000000u);
  let rem = r & 0x1fffu;
  r = r >> 13u;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u) != 0u)) { r = r + 1u; }
  return sign | r;
}

fn f32_to_bf16_bits(f: f32) -> u32 {
  let u = bitcast<u32>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) { return ((u >> 16u) | 64u) & 0xffffu; }
  return ((u + (0x7fffu + ((u >> 16u) & 1u))) >> 16u) & 0xffffu;
}
