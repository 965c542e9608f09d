// Grids of the block types for GPTQ: the levels a code can take, the affine map a fitted block
// applies, and where each element's code sits in the block bytes (mirroring the dequantizers).
#include <cstring>

#include "blocks.h"
#include "decoded.h"
#include "lowbit/grid.h"

namespace lowbit {
namespace fmt {

// defined with the formats' decoders
void decode_block_q2_k(const BlockQ2_K& b, DecodedBlock& d);
void decode_block_q3_k(const BlockQ3_K& b, DecodedBlock& d);
void decode_block_q4_k(const BlockQ4_K& b, DecodedBlock& d);
void decode_block_q5_k(const BlockQ5_K& b, DecodedBlock& d);
void decode_block_q6_k(const BlockQ6_K& b, DecodedBlock& d);
void decode_block_iq4_xs(const BlockIQ4XS& b, DecodedBlock& d);

namespace {

constexpr int8_t kE2M1x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return bits_f32(bits);
}

// element j of a 32-element group: low nibble of qs[j % 16] for j < 16, high nibble otherwise
void set_nibble(uint8_t* qs, int i, int code) {
  uint8_t& b = qs[i % 16];
  b = i < 16 ? static_cast<uint8_t>((b & 0xf0) | (code & 0x0f)) : static_cast<uint8_t>((b & 0x0f) | ((code & 0x0f) << 4));
}

void set_bit(uint8_t* bytes, int bit, bool on) {
  bytes[bit / 8] = static_cast<uint8_t>(on ? bytes[bit / 8] | (1u << (bit % 8)) : bytes[bit / 8] & ~(1u << (bit % 8)));
}

void set_five(uint8_t* qh, uint8_t* qs, int i, int code) {
  set_nibble(qs, i, code);
  set_bit(qh, i, (code >> 4) & 1);
}

// 2-bit codes of a 256-element super-block: byte (e/128)*32 + e%32, shift 2*((e%128)/32)
void set_two(uint8_t* qs, int e, int code) {
  uint8_t& b = qs[(e / 128) * 32 + e % 32];
  const int shift = 2 * ((e % 128) / 32);
  b = static_cast<uint8_t>((b & ~(3 << shift)) | ((code & 3) << shift));
}

// Q4_K/Q5_K: element e of 64-element chunk j: low nibbles for the first 32, high for the rest
void set_k_nibble(uint8_t* qs, int e, int code) {
  uint8_t& b = qs[32 * (e / 64) + e % 32];
  b = e % 64 < 32 ? static_cast<uint8_t>((b & 0xf0) | (code & 0x0f)) : static_cast<uint8_t>((b & 0x0f) | ((code & 0x0f) << 4));
}

void set_q6(BlockQ6_K& b, int e, int code) {
  const int n = e / 128, r = e % 128, l = r % 32, quarter = r / 32;
  uint8_t& lo = b.ql[64 * n + l + (quarter % 2) * 32];
  lo = quarter < 2 ? static_cast<uint8_t>((lo & 0xf0) | (code & 0x0f)) : static_cast<uint8_t>((lo & 0x0f) | ((code & 0x0f) << 4));
  uint8_t& hi = b.qh[32 * n + l];
  hi = static_cast<uint8_t>((hi & ~(3 << (2 * quarter))) | (((code >> 4) & 3) << (2 * quarter)));
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

void one_group(BlockMap& m, float scale, float offset, bool has_offset) {
  m.scale[0] = scale;
  m.offset[0] = offset;
  m.group = QK;
  m.has_offset = has_offset;
}

// k-quants: the per-sub-block scales and offsets their decoders produce
template <typename Block, void (*Decode)(const Block&, DecodedBlock&)>
void decoded_map(const uint8_t* b, BlockMap& m) {
  DecodedBlock d{};
  Decode(as<Block>(b), d);
  m.group = d.group;
  m.has_offset = d.has_offset;
  for (int g = 0; g < QK_K / d.group; ++g) {
    m.scale[g] = d.scale[g];
    m.offset[g] = d.offset[g];
  }
}

const BlockGrid kGrids[] = {
    {GgmlType::Q4_0, QK, range(-8, 7), [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockQ4_0>(b).d), 0, false); },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockQ4_0>(b).qs, i, code); }},
    {GgmlType::Q4_1, QK, range(0, 15), [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockQ4_1>(b).d), h2f(as<BlockQ4_1>(b).m), true); },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockQ4_1>(b).qs, i, code); }},
    {GgmlType::Q5_0, QK, range(-16, 15), [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockQ5_0>(b).d), 0, false); },
     [](uint8_t* b, int i, int code) { set_five(as<BlockQ5_0>(b).qh, as<BlockQ5_0>(b).qs, i, code); }},
    {GgmlType::Q5_1, QK, range(0, 31), [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockQ5_1>(b).d), h2f(as<BlockQ5_1>(b).m), true); },
     [](uint8_t* b, int i, int code) { set_five(as<BlockQ5_1>(b).qh, as<BlockQ5_1>(b).qs, i, code); }},
    {GgmlType::Q8_0, QK, range(-128, 127), [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockQ8_0>(b).d), 0, false); },
     [](uint8_t* b, int i, int code) { as<BlockQ8_0>(b).qs[i] = static_cast<int8_t>(code - 128); }},
    {GgmlType::IQ4_NL, QK, std::vector<int32_t>(kIq4Values, kIq4Values + 16),
     [](const uint8_t* b, BlockMap& m) { one_group(m, h2f(as<BlockIQ4NL>(b).d), 0, false); },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockIQ4NL>(b).qs, i, code); }},
    {GgmlType::MXFP4, QK, std::vector<int32_t>(kE2M1x2, kE2M1x2 + 16),
     [](const uint8_t* b, BlockMap& m) { one_group(m, e8m0_half(as<BlockMXFP4>(b).e), 0, false); },
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockMXFP4>(b).qs, i, code); }},
    {GgmlType::Q2_K, QK_K, range(0, 3), decoded_map<BlockQ2_K, decode_block_q2_k>,
     [](uint8_t* b, int i, int code) { set_two(as<BlockQ2_K>(b).qs, i, code); }},
    {GgmlType::Q3_K, QK_K, range(-4, 3), decoded_map<BlockQ3_K, decode_block_q3_k>,
     [](uint8_t* b, int i, int code) {  // code 0..7 ↔ value code − 4: two low bits in qs, the third in hmask
       set_two(as<BlockQ3_K>(b).qs, i, code & 3);
       set_bit(as<BlockQ3_K>(b).hmask, (i % 32) * 8 + i / 32, code >= 4);  // hmask[e % 32], bit e / 32
     }},
    {GgmlType::Q4_K, QK_K, range(0, 15), decoded_map<BlockQ4_K, decode_block_q4_k>,
     [](uint8_t* b, int i, int code) { set_k_nibble(as<BlockQ4_K>(b).qs, i, code); }},
    {GgmlType::Q5_K, QK_K, range(0, 31), decoded_map<BlockQ5_K, decode_block_q5_k>,
     [](uint8_t* b, int i, int code) {
       set_k_nibble(as<BlockQ5_K>(b).qs, i, code);
       set_bit(as<BlockQ5_K>(b).qh, (i % 32) * 8 + 2 * (i / 64) + (i % 64) / 32, code >= 16);
     }},
    {GgmlType::Q6_K, QK_K, range(-32, 31), decoded_map<BlockQ6_K, decode_block_q6_k>,
     [](uint8_t* b, int i, int code) { set_q6(as<BlockQ6_K>(b), i, code); }},
    {GgmlType::IQ4_XS, QK_K, std::vector<int32_t>(kIq4Values, kIq4Values + 16), decoded_map<BlockIQ4XS, decode_block_iq4_xs>,
     [](uint8_t* b, int i, int code) { set_nibble(as<BlockIQ4XS>(b).qs + 16 * (i / 32), i % 32, code); }},
};

}  // namespace
}  // namespace fmt

const BlockGrid* find_grid(GgmlType type) {
  for (const auto& g : fmt::kGrids)
    if (g.type == type) return &g;
  return nullptr;
}

}  // namespace lowbit
