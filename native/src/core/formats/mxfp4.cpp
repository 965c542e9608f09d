// MXFP4: 32 E2M1 elements sharing one E8M0 (power of two) scale, as ggml stores it.
#include <cmath>

#include "blocks.h"
#include "decoded.h"
#include "lowbit/formats.h"

namespace lowbit::fmt {
namespace {

// E2M1 magnitudes {0, .5, 1, 1.5, 2, 3, 4, 6} doubled to integers, with the sign in bit 3.
constexpr int8_t kE2M1x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e-127) / 2: the doubled table above is scaled back by half the E8M0 value.
float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return bits_f32(bits);
}

int nearest_e2m1(float x, float d) {
  int best = 0;
  float best_err = std::fabs(kE2M1x2[0] * d - x);
  for (int i = 1; i < 16; ++i) {
    float err = std::fabs(kE2M1x2[i] * d - x);
    if (err < best_err) { best = i; best_err = err; }
  }
  return best;
}

// ggml's reference: the exponent puts the block's largest magnitude just under 8 (= 2^3 on the
// doubled grid, i.e. floor(log2(amax)) - 2), each element rounded to the nearest grid value.
uint8_t reference_exponent(const float* x) {
  float amax = 0;
  for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax > 0.0f ? static_cast<uint8_t>(std::floor(std::log2(amax)) - 2 + 127) : 0;
}

void encode(const float* x, uint8_t e, BlockMXFP4& y) {
  const float d = e8m0_half(e);
  y.e = e;
  for (int j = 0; j < QK / 2; ++j)
    y.qs[j] = static_cast<uint8_t>(nearest_e2m1(x[j], d) | (nearest_e2m1(x[j + QK / 2], d) << 4));
}

float weighted_error(const float* x, const float* w, uint8_t e) {
  const float d = e8m0_half(e);
  float err = 0;
  for (int j = 0; j < QK; ++j) {
    const float diff = kE2M1x2[nearest_e2m1(x[j], d)] * d - x[j];
    err += w[j] * diff * diff;
  }
  return err;
}

// Our importance-weighted variant (ggml has none for MXFP4): of the reference exponent and its
// two neighbours, keep the one with the least importance-weighted squared error.
void quantize_mxfp4(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance) {
  for_each_block<BlockMXFP4, QK>(src, dst, nrows, n_per_row, importance, [](const float* x, const float* w, BlockMXFP4& y) {
    uint8_t e = reference_exponent(x);
    if (w && e > 0) {
      float best = weighted_error(x, w, e);
      for (int de : {-1, 1}) {
        const int cand = e + de;
        if (cand < 1 || cand > 254) continue;
        const float err = weighted_error(x, w, static_cast<uint8_t>(cand));
        if (err < best) { best = err; e = static_cast<uint8_t>(cand); }
      }
    }
    encode(x, e, y);
  });
}

void decode_mxfp4(const BlockMXFP4& b, DecodedBlock& d) {
  for (int j = 0; j < QK / 2; ++j) {
    d.q[j] = kE2M1x2[b.qs[j] & 0xf];
    d.q[j + QK / 2] = kE2M1x2[b.qs[j] >> 4];
  }
  d.scale[0] = e8m0_half(b.e);
  d.group = QK;
  d.has_offset = false;
}

}  // namespace

LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::MXFP4, "MXFP4", QK, sizeof(BlockMXFP4), true,
                                dequantize_decoded_ref<BlockMXFP4, QK, decode_mxfp4>,
                                LOWBIT_DECODED_AVX2(BlockMXFP4, QK, decode_mxfp4), quantize_mxfp4, nullptr});

}  // namespace lowbit::fmt
