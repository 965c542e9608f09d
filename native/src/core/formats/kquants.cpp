// The k-quants Q2_K … Q6_K: 256-element super-blocks whose 16- or 32-element sub-blocks carry
// their own scales (and mins), themselves quantized against fp16 super-block scales. Reference and
// importance-weighted quantizers follow ggml's searches; dequantizers follow ggml's layouts.
#include <algorithm>
#include <cmath>

#include "blocks.h"
#include "decoded.h"
#include "lowbit/formats.h"
#include "search.h"

namespace lowbit::fmt {
namespace {

// 2-bit codes of 256 elements: byte (e/128)*32 + e%32, shift 2*((e%128)/32).
void pack2(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < QK_K; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}
inline int unpack2(const uint8_t* qs, int e) { return (qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3; }

float superblock_sigma2(const float* x, float factor) {
  float s = 0;
  for (int j = 0; j < QK_K; ++j) s += x[j] * x[j];
  return factor * s / QK_K;
}

// ---------------- Q2_K ----------------

void q2_k_finish(const float* x, BlockQ2_K& y, uint8_t* L) {
  const float dm = h2f(y.d), mm = h2f(y.dmin);
  for (int j = 0; j < QK_K / 16; ++j) {
    const float d = dm * (y.scales[j] & 0xF);
    if (!d) continue;
    const float m = mm * (y.scales[j] >> 4);
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(3, nearest_int((x[16 * j + ii] + m) / d))));
  }
  pack2(L, y.qs);
}

void q2_k_block(const float* x, const float* qw, BlockQ2_K& y) {
  uint8_t L[QK_K], Laux[16];
  float weights[16], mins[QK_K / 16], scales[QK_K / 16];
  if (!qw) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    constexpr float q4scale = 15.f;
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < QK_K / 16; ++j) y.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      y.d = f2h(max_scale / q4scale);
    } else {
      for (int j = 0; j < QK_K / 16; ++j) y.scales[j] = 0;
      y.d = f2h(0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < QK_K / 16; ++j) y.scales[j] = static_cast<uint8_t>(y.scales[j] | (nearest_int(iscale * mins[j]) << 4));
      y.dmin = f2h(max_min / q4scale);
    } else {
      y.dmin = f2h(0.f);
    }
  } else {
    float sw[QK_K / 16];
    uint8_t Ls[QK_K / 16], Lm[QK_K / 16];
    const float sigma2 = superblock_sigma2(x, 1.f);
    for (int j = 0; j < QK_K / 16; ++j) {
      sw[j] = 0;
      for (int l = 0; l < 16; ++l) {
        weights[l] = qw[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
        sw[j] += weights[l];
      }
      scales[j] = make_qkx3_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    y.d = f2h(make_qp_quants(QK_K / 16, 15, scales, Ls, sw));
    y.dmin = f2h(make_qp_quants(QK_K / 16, 15, mins, Lm, sw));
    for (int j = 0; j < QK_K / 16; ++j) y.scales[j] = static_cast<uint8_t>(Ls[j] | (Lm[j] << 4));
  }
  q2_k_finish(x, y, L);
}

void decode_q2_k(const BlockQ2_K& b, DecodedBlock& d) {
  const float dd = h2f(b.d), min = h2f(b.dmin);
  for (int g = 0; g < QK_K / 16; ++g) {
    d.scale[g] = dd * (b.scales[g] & 0xF);
    d.offset[g] = -(min * (b.scales[g] >> 4));
  }
  for (int e = 0; e < QK_K; ++e) d.q[e] = unpack2(b.qs, e);
  d.group = 16;
  d.has_offset = true;
}

// ---------------- Q3_K ----------------

void q3_k_set_scale(BlockQ3_K& y, int j, int l) {  // l in 0..63
  if (j < 8) y.scales[j] = static_cast<uint8_t>(l & 0xF);
  else y.scales[j - 8] = static_cast<uint8_t>(y.scales[j - 8] | ((l & 0xF) << 4));
  y.scales[j % 4 + 8] = static_cast<uint8_t>(y.scales[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
}

int q3_k_scale(const BlockQ3_K& y, int j) {
  int sc = j < 8 ? y.scales[j] & 0xF : y.scales[j - 8] >> 4;
  return (sc | (((y.scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

void q3_k_block(const float* x, const float* qw, BlockQ3_K& y) {
  int8_t L[QK_K];
  float scales[QK_K / 16];
  std::memset(y.scales, 0, 12);
  if (!qw) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j, true);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) { amax = scale; max_scale = scales[j]; }
    }
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < QK_K / 16; ++j) {
        int8_t l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        q3_k_set_scale(y, j, std::max<int>(-32, std::min<int>(31, l)) + 32);
      }
      y.d = f2h(1 / iscale);
    } else {
      y.d = f2h(0.f);
    }
  } else {
    float weight[16], sw[QK_K / 16];
    int8_t Ls[QK_K / 16];
    const float sigma2 = superblock_sigma2(x, 2.f);
    for (int j = 0; j < QK_K / 16; ++j) {
      float sumw = 0;
      for (int l = 0; l < 16; ++l) {
        weight[l] = qw[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
        sumw += weight[l];
      }
      sw[j] = sumw;
      scales[j] = make_qx_quants(16, 4, x + 16 * j, L + 16 * j, 1, weight);
    }
    const float d_block = make_qx_quants(QK_K / 16, 32, scales, Ls, 1, sw);
    for (int j = 0; j < QK_K / 16; ++j) q3_k_set_scale(y, j, Ls[j]);
    y.d = f2h(d_block);
  }
  for (int j = 0; j < QK_K / 16; ++j) {
    const float d = h2f(y.d) * q3_k_scale(y, j);
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<int8_t>(std::max(-4, std::min(3, nearest_int(x[16 * j + ii] / d))) + 4);
  }
  std::memset(y.hmask, 0, QK_K / 8);
  int m = 0;
  uint8_t hm = 1;
  for (int j = 0; j < QK_K; ++j) {
    if (L[j] > 3) { y.hmask[m] |= hm; L[j] = static_cast<int8_t>(L[j] - 4); }
    if (++m == QK_K / 8) { m = 0; hm = static_cast<uint8_t>(hm << 1); }
  }
  pack2(reinterpret_cast<const uint8_t*>(L), y.qs);
}

void decode_q3_k(const BlockQ3_K& b, DecodedBlock& d) {
  const float d_all = h2f(b.d);
  for (int g = 0; g < QK_K / 16; ++g) d.scale[g] = d_all * q3_k_scale(b, g);
  for (int e = 0; e < QK_K; ++e) d.q[e] = unpack2(b.qs, e) - (((b.hmask[e % 32] >> (e / 32)) & 1) ? 0 : 4);
  d.group = 16;
  d.has_offset = false;
}

// ---------------- Q4_K / Q5_K (8 sub-blocks of 32 with 6-bit scales and mins) ----------------

void get_scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void set_scale_min_k4(int j, uint8_t ls, uint8_t lm, uint8_t* scales) {
  if (j < 4) {
    scales[j] = ls;
    scales[j + 4] = lm;
  } else {
    scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
    scales[j - 4] = static_cast<uint8_t>(scales[j - 4] | ((ls >> 4) << 6));
    scales[j] = static_cast<uint8_t>(scales[j] | ((lm >> 4) << 6));
  }
}

// Fits the sub-block scales/mins and the super-block d/dmin; returns nothing but fills y's
// d, dmin and scales. nmax is 15 (Q4_K) or 31 (Q5_K).
template <typename Block>
void qk_scales(const float* x, const float* qw, Block& y, int nmax, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32], mins[QK_K / 32], scales[QK_K / 32];
  std::memset(y.scales, 0, 12);
  if (!qw) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < QK_K / 32; ++j) {
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] = nmax == 15 ? make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, false)
                             : make_qkx2_quants(32, 31, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15, false);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < QK_K / 32; ++j) {
      uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
      uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
      set_scale_min_k4(j, std::min<uint8_t>(63, ls), std::min<uint8_t>(63, lm), y.scales);
    }
    y.d = f2h(max_scale / 63.f);
    y.dmin = f2h(max_min / 63.f);
  } else {
    float sw[QK_K / 32];
    uint8_t Ls[QK_K / 32], Lm[QK_K / 32];
    const float sigma2 = superblock_sigma2(x, 2.f);
    for (int j = 0; j < QK_K / 32; ++j) {
      float sumw = 0;
      for (int l = 0; l < 32; ++l) {
        weights[l] = qw[32 * j + l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
        sumw += weights[l];
      }
      sw[j] = sumw;
      scales[j] = make_qkx3_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false);
    }
    const float d_block = make_qp_quants(QK_K / 32, 63, scales, Ls, sw);
    const float m_block = make_qp_quants(QK_K / 32, 63, mins, Lm, sw);
    for (int j = 0; j < QK_K / 32; ++j) set_scale_min_k4(j, Ls[j], Lm[j], y.scales);
    y.d = f2h(d_block);
    y.dmin = f2h(m_block);
  }
  for (int j = 0; j < QK_K / 32; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, y.scales, sc, m);
    const float d = h2f(y.d) * sc;
    if (!d) continue;
    const float dm = h2f(y.dmin) * m;
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(nmax, nearest_int((x[32 * j + ii] + dm) / d))));
  }
}

void q4_k_block(const float* x, const float* qw, BlockQ4_K& y) {
  uint8_t L[QK_K];
  qk_scales(x, qw, y, 15, L);
  for (int j = 0; j < QK_K; j += 64)
    for (int l = 0; l < 32; ++l) y.qs[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
}

void q5_k_block(const float* x, const float* qw, BlockQ5_K& y) {
  uint8_t L[QK_K];
  qk_scales(x, qw, y, 31, L);
  std::memset(y.qh, 0, QK_K / 8);
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < QK_K; n += 64) {
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) { l1 -= 16; y.qh[j] |= m1; }
      if (l2 > 15) { l2 -= 16; y.qh[j] |= m2; }
      y.qs[n / 2 + j] = static_cast<uint8_t>(l1 | (l2 << 4));
    }
    m1 = static_cast<uint8_t>(m1 << 2);
    m2 = static_cast<uint8_t>(m2 << 2);
  }
}

template <typename Block, bool kHigh>
void decode_q45_k(const Block& b, DecodedBlock& d) {
  const float dd = h2f(b.d), min = h2f(b.dmin);
  for (int g = 0; g < QK_K / 32; ++g) {
    uint8_t sc, m;
    get_scale_min_k4(g, b.scales, sc, m);
    d.scale[g] = dd * sc;
    d.offset[g] = -(min * m);
  }
  for (int j = 0; j < QK_K / 64; ++j) {
    const uint8_t* q = b.qs + 32 * j;
    for (int l = 0; l < 32; ++l) {
      int lo = q[l] & 0xF, hi = q[l] >> 4;
      if constexpr (kHigh) {
        lo += (b.qh[l] >> (2 * j)) & 1 ? 16 : 0;
        hi += (b.qh[l] >> (2 * j + 1)) & 1 ? 16 : 0;
      }
      d.q[64 * j + l] = lo;
      d.q[64 * j + 32 + l] = hi;
    }
  }
  d.group = 32;
  d.has_offset = true;
}

// ---------------- Q6_K ----------------

void q6_k_block(const float* x, const float* qw, BlockQ6_K& y) {
  int8_t L[QK_K];
  float scales[QK_K / 16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < QK_K / 16; ++ib) {
    const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1, qw ? qw + 16 * ib : nullptr);
    scales[ib] = scale;
    const float abs_scale = std::fabs(scale);
    if (abs_scale > max_abs_scale) { max_abs_scale = abs_scale; max_scale = scale; }
  }
  if (max_abs_scale < GROUP_MAX_EPS) {
    std::memset(&y, 0, sizeof(y));
    y.d = f2h(0.f);
    return;
  }
  const float iscale = -128.f / max_scale;
  y.d = f2h(1 / iscale);
  for (int ib = 0; ib < QK_K / 16; ++ib) y.scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
  for (int j = 0; j < QK_K / 16; ++j) {
    const float d = h2f(y.d) * y.scales[j];
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<int8_t>(std::max(-32, std::min(31, nearest_int(x[16 * j + ii] / d))) + 32);
  }
  uint8_t* ql = y.ql;
  uint8_t* qh = y.qh;
  for (int j = 0; j < QK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = static_cast<uint8_t>(q1 | (q3 << 4));
      ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
      qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
    }
    ql += 64;
    qh += 32;
  }
}

void decode_q6_k(const BlockQ6_K& b, DecodedBlock& d) {
  const float dd = h2f(b.d);
  for (int g = 0; g < QK_K / 16; ++g) d.scale[g] = dd * b.scales[g];
  for (int n = 0; n < QK_K / 128; ++n) {
    const uint8_t* ql = b.ql + 64 * n;
    const uint8_t* qh = b.qh + 32 * n;
    int32_t* q = d.q + 128 * n;
    for (int l = 0; l < 32; ++l) {
      q[l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      q[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      q[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      q[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
    }
  }
  d.group = 16;
  d.has_offset = false;
}

template <typename Block, void (*Fn)(const float*, const float*, Block&)>
void quantize_k(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance) {
  for_each_block<Block, QK_K>(src, dst, nrows, n_per_row, importance, Fn);
}

}  // namespace

// The decoders, for GPTQ's grids (formats/grids.cpp).
void decode_block_q2_k(const BlockQ2_K& b, DecodedBlock& d) { decode_q2_k(b, d); }
void decode_block_q3_k(const BlockQ3_K& b, DecodedBlock& d) { decode_q3_k(b, d); }
void decode_block_q4_k(const BlockQ4_K& b, DecodedBlock& d) { decode_q45_k<BlockQ4_K, false>(b, d); }
void decode_block_q5_k(const BlockQ5_K& b, DecodedBlock& d) { decode_q45_k<BlockQ5_K, true>(b, d); }
void decode_block_q6_k(const BlockQ6_K& b, DecodedBlock& d) { decode_q6_k(b, d); }

#define LOWBIT_KQUANT(TYPE, NAME, BLOCK, DECODE, QUANT)                                                    \
  LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::TYPE, NAME, QK_K, sizeof(BLOCK), true,                          \
                                  dequantize_decoded_ref<BLOCK, QK_K, DECODE>,                              \
                                  LOWBIT_DECODED_AVX2(BLOCK, QK_K, DECODE), quantize_k<BLOCK, QUANT>, nullptr})
LOWBIT_KQUANT(Q2_K, "Q2_K", BlockQ2_K, decode_q2_k, q2_k_block);
LOWBIT_KQUANT(Q3_K, "Q3_K", BlockQ3_K, decode_q3_k, q3_k_block);
LOWBIT_KQUANT(Q4_K, "Q4_K", BlockQ4_K, (decode_q45_k<BlockQ4_K, false>), q4_k_block);
LOWBIT_KQUANT(Q5_K, "Q5_K", BlockQ5_K, (decode_q45_k<BlockQ5_K, true>), q5_k_block);
LOWBIT_KQUANT(Q6_K, "Q6_K", BlockQ6_K, decode_q6_k, q6_k_block);

}  // namespace lowbit::fmt
