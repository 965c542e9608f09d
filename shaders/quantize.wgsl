// Round-to-nearest quantize (llama.cpp's reference quantizers, no importance), one invocation per
// block, writing the same bytes as the C++ (native/src/core/formats/q_legacy.cpp, float_types.cpp).
// The loader adds halfbits/softfloat/guarded/bytes_out and `fn quant(x0, o)` for the type, and BLOCK_SIZE.
struct Params { nblocks: u32, zero: u32, row_stride: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> qout: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;
// one bit per block that the host must quantize again (guarded.wgsl)
@group(0) @binding(3) var<storage, read_write> redo: array<atomic<u32>>;

fn q_F16(x0: u32, o: u32) { put_u16(o, f32_to_f16_bits(xs[x0])); }
fn q_BF16(x0: u32, o: u32) { put_u16(o, f32_to_bf16_bits(xs[x0])); }

// The first element of largest magnitude, with its sign.
fn signed_absmax(x0: u32) -> f32 {
  var a = 0.0;
  var mx = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let v = xs[x0 + j];
    if (abs_gt(v, a)) { a = bitcast<f32>(abs_bits(v)); mx = v; }
  }
  return mx;
}

fn inverse_or_zero(d: f32) -> f32 {
  return select(0.0, fdiv_rn(1.0, d), nonzero(d));
}

// std::min<int8_t>(top, static_cast<int8_t>(v)) as an unsigned byte
fn code(v: f32, top: i32) -> u32 {
  return u32(min(top, c_cast_i8(v))) & 0xffu;
}

fn q_Q4_0(x0: u32, o: u32) {
  let d = fdiv_rn(signed_absmax(x0), -8.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  for (var j = 0u; j < 16u; j = j + 1u) {
    let a = code(nofma(mul_sub(xs[x0 + j], id)) + 8.5, 15);
    let b = code(nofma(mul_sub(xs[x0 + 16u + j], id)) + 8.5, 15);
    put_u8(o + 2u + j, a | (b << 4u));
  }
}

// minimum and maximum as the C++ loop takes them (std::min / std::max from ±FLT_MAX)
fn min_max(x0: u32) -> vec2<f32> {
  var lo = bitcast<f32>(0x7f7fffffu);  // FLT_MAX
  var hi = bitcast<f32>(0xff7fffffu);
  for (var j = 0u; j < 32u; j = j + 1u) {
    let v = xs[x0 + j];
    if (lt(v, lo)) { lo = v; }
    if (lt(hi, v)) { hi = v; }
  }
  return vec2<f32>(lo, hi);
}

fn q_Q4_1(x0: u32, o: u32) {
  let mm = min_max(x0);
  let d = fdiv_rn(sub_rn(mm.y, mm.x), 15.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  put_u16(o + 2u, f32_to_f16_bits(mm.x));
  for (var j = 0u; j < 16u; j = j + 1u) {
    let a = code(nofma(mul_sub(sub_rn(xs[x0 + j], mm.x), id)) + 0.5, 15);
    let b = code(nofma(mul_sub(sub_rn(xs[x0 + 16u + j], mm.x), id)) + 0.5, 15);
    put_u8(o + 4u + j, a | (b << 4u));
  }
}

// 5-bit codes: low nibbles in qs (element j low, j + 16 high), fifth bits in the 32-bit qh
fn pack5(qh_off: u32, qs_off: u32, l: ptr<function, array<u32, 32>>) {
  var qh = 0u;
  for (var j = 0u; j < 16u; j = j + 1u) {
    put_u8(qs_off + j, ((*l)[j] & 0xfu) | (((*l)[j + 16u] & 0xfu) << 4u));
    qh = qh | ((((*l)[j] & 0x10u) >> 4u) << j);
    qh = qh | ((((*l)[j + 16u] & 0x10u) >> 4u) << (j + 16u));
  }
  put_u16(qh_off, qh);
  put_u16(qh_off + 2u, qh >> 16u);
}

fn q_Q5_0(x0: u32, o: u32) {
  let d = fdiv_rn(signed_absmax(x0), -16.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  var l: array<u32, 32>;
  for (var j = 0u; j < 32u; j = j + 1u) { l[j] = code(nofma(mul_sub(xs[x0 + j], id)) + 16.5, 31); }
  pack5(o + 2u, o + 6u, &l);
}

fn q_Q5_1(x0: u32, o: u32) {
  let mm = min_max(x0);
  let d = fdiv_rn(sub_rn(mm.y, mm.x), 31.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  put_u16(o + 2u, f32_to_f16_bits(mm.x));
  var l: array<u32, 32>;
  // static_cast<uint8_t>(float): the same truncation and low byte, without the clamp
  for (var j = 0u; j < 32u; j = j + 1u) { l[j] = u32(c_cast_i8(nofma(mul_sub(sub_rn(xs[x0 + j], mm.x), id)) + 0.5)) & 0xffu; }
  pack5(o + 4u, o + 8u, &l);
}

fn q_Q8_0(x0: u32, o: u32) {
  var amax = 0.0;
  for (var j = 0u; j < 32u; j = j + 1u) {
    let a = bitcast<f32>(abs_bits(xs[x0 + j]));
    if (abs_bits(amax) < abs_bits(a)) { amax = a; }
  }
  let d = fdiv_rn(amax, 127.0);
  let id = inverse_or_zero(d);
  put_u16(o, f32_to_f16_bits(d));
  for (var j = 0u; j < 32u; j = j + 1u) {
    put_u8(o + 2u + j, u32(c_cast_i8(round_half_away(mul_sub(xs[x0 + j], id)))) & 0xffu);
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.x + gid.y * params.row_stride;
  if (blk >= params.nblocks) { return; }
  quant(blk * BLOCK_SIZE, blk * TYPE_SIZE);
  if (beyond_normal) { atomicOr(&redo[blk >> 5u], 1u << (blk & 31u)); }
}
