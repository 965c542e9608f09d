// The 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0: reference quantizers equal to
// ggml's (plain and importance-weighted) and dequantizers. SIMD paths live in q_legacy_avx2.cpp.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "blocks.h"
#include "decoded.h"
#include "legacy.h"
#include "lowbit/formats.h"
#include "search.h"

namespace lowbit::fmt {
namespace {

// --- plain (no importance) block quantizers ---

void q4_0_block(const float* x, BlockQ4_0& y) {
  float amax;
  const float max = signed_absmax(x, QK, &amax);
  const float d = max / -8;
  const float id = d ? 1.0f / d : 0.0f;
  y.d = f2h(d);
  for (int j = 0; j < QK / 2; ++j) {
    const uint8_t a = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>(x[j] * id + 8.5f)));
    const uint8_t b = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>(x[QK / 2 + j] * id + 8.5f)));
    y.qs[j] = a | (b << 4);
  }
}

void q4_1_block(const float* x, BlockQ4_1& y) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < QK; ++j) { min = std::min(min, x[j]); max = std::max(max, x[j]); }
  const float d = (max - min) / 15;
  const float id = d ? 1.0f / d : 0.0f;
  y.d = f2h(d);
  y.m = f2h(min);
  for (int j = 0; j < QK / 2; ++j) {
    const uint8_t a = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>((x[j] - min) * id + 0.5f)));
    const uint8_t b = static_cast<uint8_t>(std::min<int8_t>(15, static_cast<int8_t>((x[QK / 2 + j] - min) * id + 0.5f)));
    y.qs[j] = a | (b << 4);
  }
}

// Packs 5-bit codes: low nibbles in qs (element j low, j+16 high), fifth bits in qh.
template <typename Block>
void pack5(const uint8_t* L, Block& y) {
  uint32_t qh = 0;
  for (int j = 0; j < QK / 2; ++j) {
    y.qs[j] = (L[j] & 0x0f) | ((L[j + 16] & 0x0f) << 4);
    qh |= ((L[j] & 0x10u) >> 4) << j;
    qh |= ((L[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  std::memcpy(y.qh, &qh, 4);
}

void q5_0_block(const float* x, BlockQ5_0& y) {
  float amax;
  const float max = signed_absmax(x, QK, &amax);
  const float d = max / -16;
  const float id = d ? 1.0f / d : 0.0f;
  y.d = f2h(d);
  uint8_t L[QK];
  for (int j = 0; j < QK; ++j) L[j] = static_cast<uint8_t>(std::min<int8_t>(31, static_cast<int8_t>(x[j] * id + 16.5f)));
  pack5(L, y);
}

void q5_1_block(const float* x, BlockQ5_1& y) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int j = 0; j < QK; ++j) { min = std::min(min, x[j]); max = std::max(max, x[j]); }
  const float d = (max - min) / 31;
  const float id = d ? 1.0f / d : 0.0f;
  y.d = f2h(d);
  y.m = f2h(min);
  uint8_t L[QK];
  for (int j = 0; j < QK; ++j) L[j] = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
  pack5(L, y);
}

void q8_0_block(const float* x, BlockQ8_0& y) {
  float amax = 0;
  for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d ? 1.0f / d : 0.0f;
  y.d = f2h(d);
  for (int j = 0; j < QK; ++j) y.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
}

// --- importance-weighted paths: weights = importance · sqrt(σ²_row + x²) ---

void row_weights(const float* x, const float* importance, int64_t n, float sigma2, float* w) {
  for (int64_t j = 0; j < n; ++j) w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

float row_sigma2(const float* x, int64_t n) {
  float s = 0;
  for (int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s / n;
}

template <typename Block, typename Plain, typename Weighted>
void quantize_rows_legacy(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance,
                          Plain plain, Weighted weighted) {
  auto* y = static_cast<Block*>(dst);
  const int64_t nb = n_per_row / QK;
  float w[QK];
  for (int64_t r = 0; r < nrows; ++r) {
    const float* x = src + r * n_per_row;
    const float sigma2 = importance ? row_sigma2(x, n_per_row) : 0.f;
    for (int64_t b = 0; b < nb; ++b) {
      if (!importance) { plain(x + b * QK, y[r * nb + b]); continue; }
      row_weights(x + b * QK, importance + b * QK, QK, sigma2, w);
      weighted(x + b * QK, w, y[r * nb + b]);
    }
  }
}

void q4_0_weighted(const float* x, const float* w, BlockQ4_0& y) {
  int8_t L[QK];
  y.d = f2h(make_qx_quants(QK, 8, x, L, 1, w));
  for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
}

void q5_0_weighted(const float* x, const float* w, BlockQ5_0& y) {
  int8_t L[QK];
  y.d = f2h(make_qx_quants(QK, 16, x, L, 1, w));
  pack5(reinterpret_cast<const uint8_t*>(L), y);
}

void q4_1_weighted(const float* x, const float* w, BlockQ4_1& y) {
  uint8_t L[QK], Laux[QK];
  float min;
  const float d = make_qkx3_quants(QK, 15, x, w, L, &min, Laux, -0.9f, 0.05f, 36, false);
  y.d = f2h(d);
  y.m = f2h(-min);
  for (int j = 0; j < 16; ++j) y.qs[j] = L[j] | (L[j + 16] << 4);
}

void q5_1_weighted(const float* x, const float* w, BlockQ5_1& y) {
  uint8_t L[QK], Laux[QK];
  float min;
  const float d = make_qkx3_quants(QK, 31, x, w, L, &min, Laux, -0.9f, 0.05f, 36, false);
  y.d = f2h(d);
  y.m = f2h(-min);
  pack5(L, y);
}

void quantize_q4_0(const float* s, void* d, int64_t nr, int64_t n, const float* imp) {
  quantize_rows_legacy<BlockQ4_0>(s, d, nr, n, imp, q4_0_block, q4_0_weighted);
}
void quantize_q4_1(const float* s, void* d, int64_t nr, int64_t n, const float* imp) {
  quantize_rows_legacy<BlockQ4_1>(s, d, nr, n, imp, q4_1_block, q4_1_weighted);
}
void quantize_q5_0(const float* s, void* d, int64_t nr, int64_t n, const float* imp) {
  quantize_rows_legacy<BlockQ5_0>(s, d, nr, n, imp, q5_0_block, q5_0_weighted);
}
void quantize_q5_1(const float* s, void* d, int64_t nr, int64_t n, const float* imp) {
  quantize_rows_legacy<BlockQ5_1>(s, d, nr, n, imp, q5_1_block, q5_1_weighted);
}
// ggml's Q8_0 has no importance-weighted search: the importance is ignored, as in llama.cpp.
void quantize_q8_0(const float* s, void* d, int64_t nr, int64_t n, const float*) {
  for_each_block<BlockQ8_0, QK>(s, d, nr, n, nullptr, [](const float* x, const float*, BlockQ8_0& y) { q8_0_block(x, y); });
}

// --- dequantizers ---

void dequantize_q4_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < QK / 2; ++j) {
      y[j] = ((b[i].qs[j] & 0x0f) - 8) * d;
      y[j + 16] = ((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h2f(b[i].d), m = h2f(b[i].m);
    for (int j = 0; j < QK / 2; ++j) {
      y[j] = (b[i].qs[j] & 0x0f) * d + m;
      y[j + 16] = (b[i].qs[j] >> 4) * d + m;
    }
  }
}

template <typename Block>
void unpack5(const Block& b, int32_t* q) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int j = 0; j < QK / 2; ++j) {
    q[j] = (b.qs[j] & 0x0f) | (((qh >> j) << 4) & 0x10);
    q[j + 16] = (b.qs[j] >> 4) | ((qh >> (j + 12)) & 0x10);
  }
}

void decode_q5_0(const BlockQ5_0& b, DecodedBlock& d) {
  unpack5(b, d.q);
  for (int j = 0; j < QK; ++j) d.q[j] -= 16;
  d.scale[0] = h2f(b.d);
  d.group = QK;
  d.has_offset = false;
}

void decode_q5_1(const BlockQ5_1& b, DecodedBlock& d) {
  unpack5(b, d.q);
  d.scale[0] = h2f(b.d);
  d.offset[0] = h2f(b.m);
  d.group = QK;
  d.has_offset = true;
}

void dequantize_q8_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const float d = h2f(b[i].d);
    for (int j = 0; j < QK; ++j) y[j] = b[i].qs[j] * d;
  }
}

}  // namespace

LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::Q4_0, "Q4_0", QK, sizeof(BlockQ4_0), true, dequantize_q4_0,
                                simd::dequantize_q4_0, quantize_q4_0, simd::quantize_q4_0});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::Q4_1, "Q4_1", QK, sizeof(BlockQ4_1), true, dequantize_q4_1,
                                simd::dequantize_q4_1, quantize_q4_1, nullptr});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::Q5_0, "Q5_0", QK, sizeof(BlockQ5_0), true,
                                dequantize_decoded_ref<BlockQ5_0, QK, decode_q5_0>,
                                LOWBIT_DECODED_AVX2(BlockQ5_0, QK, decode_q5_0), quantize_q5_0, nullptr});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::Q5_1, "Q5_1", QK, sizeof(BlockQ5_1), true,
                                dequantize_decoded_ref<BlockQ5_1, QK, decode_q5_1>,
                                LOWBIT_DECODED_AVX2(BlockQ5_1, QK, decode_q5_1), quantize_q5_1, nullptr});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::Q8_0, "Q8_0", QK, sizeof(BlockQ8_0), true, dequantize_q8_0,
                                simd::dequantize_q8_0, quantize_q8_0, simd::quantize_q8_0});

}  // namespace lowbit::fmt
