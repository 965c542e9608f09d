// Bit packing of the k-quant sub-block scales (layouts as in ggml-common.h: Q2_K one byte per
// 16 elements with the min in the high nibble; Q3_K sixteen 6-bit values biased by 32 in 12 bytes;
// Q4_K/Q5_K eight 6-bit scales and mins in 12 bytes; Q6_K int8; IQ4_XS 4+2 bits biased by 32).
#include "subscales.h"

#include "../formats/blocks.h"

namespace lowbit::gptq {
namespace {

using namespace lowbit::fmt;

template <typename B>
const B& as(const uint8_t* p) { return *reinterpret_cast<const B*>(p); }
template <typename B>
B& as(uint8_t* p) { return *reinterpret_cast<B*>(p); }

uint8_t with_bits(uint8_t byte, int shift, int width, int value) {
  const int mask = ((1 << width) - 1) << shift;
  return static_cast<uint8_t>((byte & ~mask) | ((value << shift) & mask));
}

void q2k_get(const uint8_t* b, int g, int& sc, int& m) {
  sc = as<BlockQ2_K>(b).scales[g] & 0xF;
  m = as<BlockQ2_K>(b).scales[g] >> 4;
}
void q2k_set(uint8_t* b, int g, int sc, int m) { as<BlockQ2_K>(b).scales[g] = static_cast<uint8_t>(sc | (m << 4)); }
void q2k_super(const uint8_t* b, float& d, float& dmin) {
  d = h2f(as<BlockQ2_K>(b).d);
  dmin = h2f(as<BlockQ2_K>(b).dmin);
}

void q3k_get(const uint8_t* b, int g, int& sc, int& m) {
  const uint8_t* s = as<BlockQ3_K>(b).scales;
  const int lo = g < 8 ? s[g] & 0xF : s[g - 8] >> 4;
  sc = (lo | (((s[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
  m = 0;
}
void q3k_set(uint8_t* b, int g, int sc, int) {
  uint8_t* s = as<BlockQ3_K>(b).scales;
  const int l = sc + 32;
  if (g < 8) s[g] = with_bits(s[g], 0, 4, l & 0xF);
  else s[g - 8] = with_bits(s[g - 8], 4, 4, l & 0xF);
  s[8 + g % 4] = with_bits(s[8 + g % 4], 2 * (g / 4), 2, l >> 4);
}
void q3k_super(const uint8_t* b, float& d, float& dmin) {
  d = h2f(as<BlockQ3_K>(b).d);
  dmin = 0;
}

// Q4_K and Q5_K share the 12-byte packing of 6-bit scales and mins
void k4_get(const uint8_t* s, int g, int& sc, int& m) {
  if (g < 4) {
    sc = s[g] & 63;
    m = s[g + 4] & 63;
  } else {
    sc = (s[g + 4] & 0xF) | ((s[g - 4] >> 6) << 4);
    m = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
  }
}
void k4_set(uint8_t* s, int g, int sc, int m) {
  if (g < 4) {
    s[g] = with_bits(s[g], 0, 6, sc);
    s[g + 4] = with_bits(s[g + 4], 0, 6, m);
  } else {
    s[g + 4] = static_cast<uint8_t>((sc & 0xF) | ((m & 0xF) << 4));
    s[g - 4] = with_bits(s[g - 4], 6, 2, sc >> 4);
    s[g] = with_bits(s[g], 6, 2, m >> 4);
  }
}
template <typename B>
void q45k_get(const uint8_t* b, int g, int& sc, int& m) { k4_get(as<B>(b).scales, g, sc, m); }
template <typename B>
void q45k_set(uint8_t* b, int g, int sc, int m) { k4_set(as<B>(b).scales, g, sc, m); }
template <typename B>
void q45k_super(const uint8_t* b, float& d, float& dmin) {
  d = h2f(as<B>(b).d);
  dmin = h2f(as<B>(b).dmin);
}

void q6k_get(const uint8_t* b, int g, int& sc, int& m) {
  sc = as<BlockQ6_K>(b).scales[g];
  m = 0;
}
void q6k_set(uint8_t* b, int g, int sc, int) { as<BlockQ6_K>(b).scales[g] = static_cast<int8_t>(sc); }
void q6k_super(const uint8_t* b, float& d, float& dmin) {
  d = h2f(as<BlockQ6_K>(b).d);
  dmin = 0;
}

void iq4xs_get(const uint8_t* b, int g, int& sc, int& m) {
  const BlockIQ4XS& x = as<BlockIQ4XS>(b);
  sc = (((x.scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | (((x.scales_h >> (2 * g)) & 3) << 4)) - 32;
  m = 0;
}
void iq4xs_set(uint8_t* b, int g, int sc, int) {
  BlockIQ4XS& x = as<BlockIQ4XS>(b);
  const int l = sc + 32;
  x.scales_l[g / 2] = with_bits(x.scales_l[g / 2], 4 * (g % 2), 4, l & 0xF);
  x.scales_h = static_cast<uint16_t>((x.scales_h & ~(3u << (2 * g))) | ((l >> 4) << (2 * g)));
}
void iq4xs_super(const uint8_t* b, float& d, float& dmin) {
  d = h2f(as<BlockIQ4XS>(b).d);
  dmin = 0;
}

const SubScales kSubScales[] = {
    {GgmlType::Q2_K, 16, 0, 15, 0, 15, true, q2k_get, q2k_set, q2k_super},
    {GgmlType::Q3_K, 16, -32, 31, 0, 0, false, q3k_get, q3k_set, q3k_super},
    {GgmlType::Q4_K, 32, 0, 63, 0, 63, true, q45k_get<BlockQ4_K>, q45k_set<BlockQ4_K>, q45k_super<BlockQ4_K>},
    {GgmlType::Q5_K, 32, 0, 63, 0, 63, true, q45k_get<BlockQ5_K>, q45k_set<BlockQ5_K>, q45k_super<BlockQ5_K>},
    // llama.cpp's Q6_K quantizer never writes −128 (it clamps to 127 and fits a positive-max d)
    {GgmlType::Q6_K, 16, -127, 127, 0, 0, false, q6k_get, q6k_set, q6k_super},
    {GgmlType::IQ4_XS, 32, -32, 31, 0, 0, false, iq4xs_get, iq4xs_set, iq4xs_super},
};

}  // namespace

const SubScales* find_subscales(GgmlType type) {
  for (const auto& s : kSubScales)
    if (s.type == type) return &s;
  return nullptr;
}

}  // namespace lowbit::gptq
