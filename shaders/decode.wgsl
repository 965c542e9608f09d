// One element of a ggml block, as the f32 bits the C++ dequantizers (native/src/core/formats) write.
// dq_<TYPE>(b, e): b = byte offset of the block in `wq`, e = element index inside the block.
// Products of an integer code and a scale decoded from fp16 are exact in f32 for every type that
// adds an offset (at most 22 significant bits), so a fused multiply-add gives the same result.

fn scaled(q: i32, d: f32) -> u32 {
  return bitcast<u32>(f32(q) * d);
}

fn dq_F32(b: u32, e: u32) -> u32 { return rd_u32(b); }
fn dq_F16(b: u32, e: u32) -> u32 { return f16_to_f32_bits(rd_u16(b)); }
fn dq_BF16(b: u32, e: u32) -> u32 { return rd_u16(b) << 16u; }

// element e of the 32-element layouts with low nibbles first (j) and high nibbles second (j + 16)
fn nibble32(qs: u32, e: u32) -> u32 {
  let byte = rd_u8(qs + (e & 15u));
  return select(byte & 0xfu, byte >> 4u, e >= 16u);
}

fn dq_Q4_0(b: u32, e: u32) -> u32 {
  return scaled(i32(nibble32(b + 2u, e)) - 8, f16_to_f32(rd_u16(b)));
}

fn dq_Q4_1(b: u32, e: u32) -> u32 {
  let v = f32(nibble32(b + 4u, e)) * f16_to_f32(rd_u16(b));
  return bitcast<u32>(v + f16_to_f32(rd_u16(b + 2u)));
}

fn fifth_bit(qh_off: u32, e: u32) -> u32 {
  return (rd_u32(qh_off) >> e) & 1u;
}

fn dq_Q5_0(b: u32, e: u32) -> u32 {
  let q = nibble32(b + 6u, e) | (fifth_bit(b + 2u, e) << 4u);
  return scaled(i32(q) - 16, f16_to_f32(rd_u16(b)));
}

fn dq_Q5_1(b: u32, e: u32) -> u32 {
  let q = nibble32(b + 8u, e) | (fifth_bit(b + 4u, e) << 4u);
  let v = f32(q) * f16_to_f32(rd_u16(b));
  return bitcast<u32>(v + f16_to_f32(rd_u16(b + 2u)));
}

fn dq_Q8_0(b: u32, e: u32) -> u32 {
  return scaled(rd_i8(b + 2u + e), f16_to_f32(rd_u16(b)));
}

const IQ4_VALUES = array<i32, 16>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

fn dq_IQ4_NL(b: u32, e: u32) -> u32 {
  return scaled(IQ4_VALUES[nibble32(b + 2u, e)], f16_to_f32(rd_u16(b)));
}

// MXFP4: E2M1 codes doubled to integers times half the E8M0 scale. The scale may be an f32
// subnormal (e < 2), so the product is built on the bits: it is always exactly representable.
const E2M1X2 = array<u32, 8>(0u, 1u, 2u, 3u, 4u, 6u, 8u, 12u);

fn dq_MXFP4(b: u32, e: u32) -> u32 {
  let code = nibble32(b + 1u, e);
  let sign = (code & 8u) << 28u;
  let m = E2M1X2[code & 7u];
  if (m == 0u) { return 0u; }  // the C++ multiplies +0 (or -0 for code 8, stored as integer 0) by a positive scale
  // value = m * 2^(E - 128)
  let ex = i32(rd_u8(b)) - 128;
  let top = 31 - i32(countLeadingZeros(m));  // m < 16
  let exp_field = top + ex + 127;
  if (exp_field >= 255) { return sign | 0x7f800000u; }
  if (exp_field >= 1) {
    return sign | (u32(exp_field) << 23u) | ((m << u32(23 - top)) & 0x7fffffu);
  }
  return sign | (m << u32(ex + 149));  // subnormal: value / 2^-149
}

fn dq_IQ4_XS(b: u32, e: u32) -> u32 {
  let ib = e / 32u;
  let ls = ((rd_u8(b + 4u + ib / 2u) >> (4u * (ib % 2u))) & 0xfu) | (((rd_u16(b + 2u) >> (2u * ib)) & 3u) << 4u);
  let scale = f16_to_f32(rd_u16(b)) * f32(i32(ls) - 32);
  return scaled(IQ4_VALUES[nibble32(b + 8u + 16u * ib, e % 32u)], scale);
}

// k-quants: 2-bit codes of element e as ggml packs them (Q2_K, Q3_K)
fn unpack2(qs: u32, e: u32) -> u32 {
  return (rd_u8(qs + (e / 128u) * 32u + e % 32u) >> (2u * ((e % 128u) / 32u))) & 3u;
}

fn dq_Q2_K(b: u32, e: u32) -> u32 {
  let sc = rd_u8(b + e / 16u);
  let scale = f16_to_f32(rd_u16(b + 80u)) * f32(sc & 0xfu);
  let offset = -(f16_to_f32(rd_u16(b + 82u)) * f32(sc >> 4u));
  let v = f32(unpack2(b + 16u, e)) * scale;
  return bitcast<u32>(v + offset);
}

fn dq_Q3_K(b: u32, e: u32) -> u32 {
  let g = e / 16u;
  let s = b + 96u;
  var sc = select(rd_u8(s + g - 8u) >> 4u, rd_u8(s + g) & 0xfu, g < 8u);
  let scale = f16_to_f32(rd_u16(b + 108u)) * f32(i32(sc | (((rd_u8(s + 8u + g % 4u) >> (2u * (g / 4u))) & 3u) << 4u)) - 32);
  let high = (rd_u8(b + e % 32u) >> (e / 32u)) & 1u;
  let q = i32(unpack2(b + 32u, e)) - select(4, 0, high == 1u);
  return scaled(q, scale);
}

// 6-bit scale and min of sub-block j (Q4_K, Q5_K)
fn scale_min_k4(s: u32, j: u32) -> vec2<u32> {
  if (j < 4u) {
    return vec2<u32>(rd_u8(s + j) & 63u, rd_u8(s + j + 4u) & 63u);
  }
  return vec2<u32>((rd_u8(s + j + 4u) & 0xfu) | ((rd_u8(s + j - 4u) >> 6u) << 4u),
                   (rd_u8(s + j + 4u) >> 4u) | ((rd_u8(s + j) >> 6u) << 4u));
}

fn dq_q45_k(b: u32, e: u32, qs: u32, qh: u32) -> u32 {
  let sm = scale_min_k4(b + 4u, e / 32u);
  let scale = f16_to_f32(rd_u16(b)) * f32(sm.x);
  let offset = -(f16_to_f32(rd_u16(b + 2u)) * f32(sm.y));
  let j = e / 64u;
  let l = e % 32u;
  let hi = (e % 64u) >= 32u;
  let byte = rd_u8(qs + 32u * j + l);
  var q = select(byte & 0xfu, byte >> 4u, hi);
  if (qh != 0u) {
    let bit = 2u * j + select(0u, 1u, hi);
    q = q + select(0u, 16u, ((rd_u8(qh + l) >> bit) & 1u) == 1u);
  }
  let v = f32(q) * scale;
  return bitcast<u32>(v + offset);
}

fn dq_Q4_K(b: u32, e: u32) -> u32 { return dq_q45_k(b, e, b + 16u, 0u); }
fn dq_Q5_K(b: u32, e: u32) -> u32 { return dq_q45_k(b, e, b + 48u, b + 16u); }

fn dq_Q6_K(b: u32, e: u32) -> u32 {
  let n = e / 128u;
  let r = e % 128u;
  let l = r % 32u;
  let part = r / 32u;  // 0: ql[l] low, 1: ql[l+32] low, 2: ql[l] high, 3: ql[l+32] high
  let ql = rd_u8(b + 64u * n + l + 32u * (part % 2u));
  let low = select(ql & 0xfu, ql >> 4u, part >= 2u);
  let high = (rd_u8(b + 128u + 32u * n + l) >> (2u * part)) & 3u;
  let scale = f16_to_f32(rd_u16(b + 208u)) * f32(rd_i8(b + 192u + e / 16u));
  return scaled(i32(low | (high << 4u)) - 32, scale);
}
