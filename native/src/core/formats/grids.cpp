// Grids of the 32-element block types for GPTQ. The code layouts mirror the block formats:
// element j of a block sits in the low nibble of qs[j % 16] for j < 16, the high nibble for j ≥ 16
// (5-bit types keep their fifth bits in qh; Q8_0 stores int8 codes).
#include <cstring>

#include "blocks.h"
#include "lowbit/grid.h"

namespace lowbit {
namespace fmt {
namespace {

constexpr int8_t kE2M1x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return bits_f32(bits);
}

void set_nibble(uint8_t* qs, int i, int code) {
  uint8_t& b = qs[i % 16];
  b = i < 16 ? static_cast<uint8_t>((b & 0xf0) | (code & 0x0f)) : static_cast<uint8_t>((b & 0x0f) | ((code & 0x0f) << 4));
}

void set_five(uint8_t* qh, uint8_t* qs, int i, int code) {
  set_nibble(qs, i, code);
  uint32_t h;
  std::memcpy(&h, qh, 4);
  h = (h & ~(1u << i)) | (static_cast<uint32_t>((code >> 4) & 1) << i);
  std::memcpy(qh, &h, 4);
}

std::vector<int32_t> range(int lo, int hi) {
  std::vector<int32_t> v;
  for (int k = lo; k <= hi; ++k) v.push_back(k);
  return v;
}

template <typename Block>
const Block& as(const uint8_t* b) { return *reinterpret_cast<const Block*>(b); }
template <typename Block>
Block& as(uint8_t* b) { return *reinterpret_cast<Block*>(b); }

const BlockGrid kGrids[] = {
    {GgmlType::Q4_0, QK, range(-8, 7),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockQ4_0>(b).d); *o = 0; *h = false; },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockQ4_0>(b).qs, i, code); }},
    {GgmlType::Q4_1, QK, range(0, 15),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockQ4_1>(b).d); *o = h2f(as<BlockQ4_1>(b).m); *h = true; },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockQ4_1>(b).qs, i, code); }},
    {GgmlType::Q5_0, QK, range(-16, 15),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockQ5_0>(b).d); *o = 0; *h = false; },
     [](uint8_t* b, int i, int code) { set_five(as<BlockQ5_0>(b).qh, as<BlockQ5_0>(b).qs, i, code); }},
    {GgmlType::Q5_1, QK, range(0, 31),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockQ5_1>(b).d); *o = h2f(as<BlockQ5_1>(b).m); *h = true; },
     [](uint8_t* b, int i, int code) { set_five(as<BlockQ5_1>(b).qh, as<BlockQ5_1>(b).qs, i, code); }},
    {GgmlType::Q8_0, QK, range(-128, 127),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockQ8_0>(b).d); *o = 0; *h = false; },
     [](uint8_t* b, int i, int code) { as<BlockQ8_0>(b).qs[i] = static_cast<int8_t>(code - 128); }},
    {GgmlType::IQ4_NL, QK, std::vector<int32_t>(kIq4Values, kIq4Values + 16),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = h2f(as<BlockIQ4NL>(b).d); *o = 0; *h = false; },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockIQ4NL>(b).qs, i, code); }},
    {GgmlType::MXFP4, QK, std::vector<int32_t>(kE2M1x2, kE2M1x2 + 16),
     [](const uint8_t* b, int, float* s, float* o, bool* h) { *s = e8m0_half(as<BlockMXFP4>(b).e); *o = 0; *h = false; },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockMXFP4>(b).qs, i, code); }},
};

}  // namespace
}  // namespace fmt

const BlockGrid* find_grid(GgmlType type) {
  for (const auto& g : fmt::kGrids)
    if (g.type == type) return &g;
  return nullptr;
}

}  // namespace lowbit
