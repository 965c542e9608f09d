// IQ4_NL (32-element blocks) and IQ4_XS (256-element super-blocks with 6-bit sub-block scales):
// 4-bit indices into a fixed non-linear grid, with ggml's scale search.
#include <algorithm>
#include <cmath>

#include "blocks.h"
#include "decoded.h"
#include "lowbit/formats.h"

namespace lowbit::fmt {
namespace {

// ggml's quantize_row_iq4_nl_impl: fits one scale per 32-element block (trying 2·ntry+1 grid
// stretches); with several blocks per super-block the block scales become 6-bit multiples of a
// super-block scale and the indices are recomputed with them.
void iq4_impl(int super_block_size, const float* x, uint16_t* dh, uint8_t* q4, uint16_t* scales_h, uint8_t* scales_l,
              const float* quant_weights, int ntry) {
  constexpr int block_size = 32;
  float scales[QK_K / 32];
  float weight[block_size];
  uint8_t L[QK_K];
  float sigma2 = 0;
  for (int j = 0; j < super_block_size; ++j) sigma2 += x[j] * x[j];
  sigma2 *= 2.f / super_block_size;
  std::memset(q4, 0, super_block_size / 2);
  dh[0] = f2h(0.f);
  float max_scale = 0, amax_scale = 0;
  const int nblocks = super_block_size / block_size;
  for (int ib = 0; ib < nblocks; ++ib) {
    const float* xb = x + ib * block_size;
    uint8_t* Lb = L + ib * block_size;
    if (quant_weights) {
      const float* qw = quant_weights + ib * block_size;
      for (int j = 0; j < block_size; ++j) weight[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
    } else {
      for (int j = 0; j < block_size; ++j) weight[j] = xb[j] * xb[j];
    }
    float amax;
    const float max = signed_absmax(xb, block_size, &amax);
    if (amax < GROUP_MAX_EPS) {
      scales[ib] = 0;
      continue;
    }
    float d = ntry > 0 ? -max / kIq4Values[0] : max / kIq4Values[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < block_size; ++j) {
      float al = id * xb[j];
      int l = best_index_int8(16, kIq4Values, al);
      Lb[j] = static_cast<uint8_t>(l);
      float q = kIq4Values[l];
      float w = weight[j];
      sumqx += w * q * xb[j];
      sumq2 += w * q * q;
    }
    d = sumqx / sumq2;
    float best = d * sumqx;
    for (int itry = -ntry; itry <= ntry; ++itry) {
      id = (itry + kIq4Values[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < block_size; ++j) {
        float al = id * xb[j];
        int l = best_index_int8(16, kIq4Values, al);
        float q = kIq4Values[l];
        float w = weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    float abs_d = std::fabs(d);
    if (abs_d > amax_scale) { amax_scale = abs_d; max_scale = d; }
  }
  if (nblocks > 1) {
    std::memset(scales_h, 0, ((nblocks + 7) / 8) * sizeof(uint16_t));
    float d = -max_scale / 32;
    dh[0] = f2h(d);
    float id = d ? 1 / d : 0.f;
    for (int ib = 0; ib < nblocks; ++ib) {
      int l = nearest_int(id * scales[ib]);
      l = std::max(-32, std::min(31, l));
      float dl = d * l;
      float idl = dl ? 1 / dl : 0.f;
      uint8_t* Lb = L + ib * block_size;
      const float* xb = x + ib * block_size;
      for (int j = 0; j < block_size; ++j) Lb[j] = static_cast<uint8_t>(best_index_int8(16, kIq4Values, idl * xb[j]));
      l += 32;
      uint8_t l_l = l & 0xf, l_h = static_cast<uint8_t>(l >> 4);
      if (ib % 2 == 0) scales_l[ib / 2] = l_l; else scales_l[ib / 2] |= (l_l << 4);
      scales_h[ib / 8] = static_cast<uint16_t>(scales_h[ib / 8] | (l_h << 2 * (ib % 8)));
    }
  } else {
    dh[0] = f2h(scales[0]);
    if (ntry > 0) {
      float id = scales[0] ? 1 / scales[0] : 0;
      for (int j = 0; j < super_block_size; ++j) L[j] = static_cast<uint8_t>(best_index_int8(16, kIq4Values, id * x[j]));
    }
  }
  for (int i = 0; i < super_block_size / 32; ++i)
    for (int j = 0; j < 16; ++j) q4[16 * i + j] = L[32 * i + j] | (L[32 * i + 16 + j] << 4);
}

void quantize_iq4_nl(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance) {
  for_each_block<BlockIQ4NL, QK>(src, dst, nrows, n_per_row, importance, [](const float* x, const float* w, BlockIQ4NL& y) {
    uint16_t unused_h;
    iq4_impl(QK, x, &y.d, y.qs, &unused_h, nullptr, w, 7);
  });
}

void quantize_iq4_xs(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance) {
  for_each_block<BlockIQ4XS, QK_K>(src, dst, nrows, n_per_row, importance, [](const float* x, const float* w, BlockIQ4XS& y) {
    iq4_impl(QK_K, x, &y.d, y.qs, &y.scales_h, y.scales_l, w, 7);
  });
}

void decode_iq4_32(const uint8_t* qs, int32_t* q) {
  for (int j = 0; j < 16; ++j) {
    q[j] = kIq4Values[qs[j] & 0xf];
    q[j + 16] = kIq4Values[qs[j] >> 4];
  }
}

void decode_iq4_nl(const BlockIQ4NL& b, DecodedBlock& d) {
  decode_iq4_32(b.qs, d.q);
  d.scale[0] = h2f(b.d);
  d.group = QK;
  d.has_offset = false;
}

void decode_iq4_xs(const BlockIQ4XS& b, DecodedBlock& d) {
  const float dd = h2f(b.d);
  for (int ib = 0; ib < QK_K / 32; ++ib) {
    const int ls = ((b.scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((b.scales_h >> 2 * ib) & 3) << 4);
    d.scale[ib] = dd * (ls - 32);
    decode_iq4_32(b.qs + 16 * ib, d.q + 32 * ib);
  }
  d.group = 32;
  d.has_offset = false;
}

}  // namespace

void decode_block_iq4_xs(const BlockIQ4XS& b, DecodedBlock& d) { decode_iq4_xs(b, d); }

LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::IQ4_NL, "IQ4_NL", QK, sizeof(BlockIQ4NL), true,
                                dequantize_decoded_ref<BlockIQ4NL, QK, decode_iq4_nl>,
                                LOWBIT_DECODED_AVX2(BlockIQ4NL, QK, decode_iq4_nl), quantize_iq4_nl, nullptr});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::IQ4_XS, "IQ4_XS", QK_K, sizeof(BlockIQ4XS), true,
                                dequantize_decoded_ref<BlockIQ4XS, QK_K, decode_iq4_xs>,
                                LOWBIT_DECODED_AVX2(BlockIQ4XS, QK_K, decode_iq4_xs), quantize_iq4_xs, nullptr});

}  // namespace lowbit::fmt
