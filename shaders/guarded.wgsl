// Native float arithmetic that reports when it may round differently from the C++ (x86 without
// flush-to-zero): when an operand or the result is subnormal, which a device may flush to zero, or
// the result is infinite or NaN, whose NaN payload a device may choose. Inside the normal range a
// native +, − or unfused × is the IEEE operation, bit for bit. The quantize kernel reports a block
// that set `beyond_normal`, and the host quantizes it again with the C++ engine.

var<private> beyond_normal: bool;

fn exponent_bits(v: f32) -> u32 { return (bitcast<u32>(v) >> 23u) & 0xffu; }
fn is_subnormal(v: f32) -> bool { return exponent_bits(v) == 0u && nonzero(v); }

fn gmul(a: f32, b: f32) -> f32 {
  let p = nofma(a * b);
  let e = exponent_bits(p);
  // a zero or subnormal product of non-zero operands: a flushed operand or result
  if (e == 255u || (e == 0u && nonzero(a) && nonzero(b))) { beyond_normal = true; }
  return p;
}

fn gsub(a: f32, b: f32) -> f32 {
  let d = a - b;
  let e = exponent_bits(d);
  if (e == 255u || (e == 0u && !feq(a, b)) || is_subnormal(a) || is_subnormal(b)) { beyond_normal = true; }
  return d;
}

fn gadd(a: f32, b: f32) -> f32 { return gsub(a, neg(b)); }
