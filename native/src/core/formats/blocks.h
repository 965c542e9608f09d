// ggml's block layouts and the small numeric helpers its quantizers share. Internal to formats/.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "lowbit/fp16.h"

namespace lowbit::fmt {

constexpr int QK = 32;    // elements per block of the 32-block types
constexpr int QK_K = 256; // elements per k-quant super-block
constexpr float GROUP_MAX_EPS = 1e-15f;

struct BlockQ4_0 { uint16_t d; uint8_t qs[QK / 2]; };
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[QK / 2]; };
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; };
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; };
struct BlockQ8_0 { uint16_t d; int8_t qs[QK]; };
struct BlockIQ4NL { uint16_t d; uint8_t qs[QK / 2]; };
struct BlockMXFP4 { uint8_t e; uint8_t qs[QK / 2]; };
struct BlockQ2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d, dmin; };
struct BlockQ3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; uint16_t d; };
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; };
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
struct BlockQ6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; };
struct BlockIQ4XS { uint16_t d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; };

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockIQ4NL) == 18 && sizeof(BlockMXFP4) == 17);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockIQ4XS) == 136);

inline float h2f(uint16_t h) { return fp16_to_fp32(h); }
inline uint16_t f2h(float f) { return fp32_to_fp16(f); }

// Round to nearest with ties away from zero's float trick: adding 1.5·2^23 leaves the rounded
// integer in the low mantissa bits (ggml's nearest_int; valid for |x| < 2^22).
inline int nearest_int(float x) {
  float v = x + 12582912.f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// The first element of largest magnitude, with its sign (ggml's "max" in its symmetric quantizers);
// *amax receives its magnitude.
inline float signed_absmax(const float* x, int n, float* amax) {
  float a = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > a) { a = ax; max = x[i]; }
  }
  *amax = a;
  return max;
}

// Index of the value in a sorted int8 table closest to x (ties to the lower one).
inline int best_index_int8(int n, const int8_t* values, float x) {
  if (x <= values[0]) return 0;
  if (x >= values[n - 1]) return n - 1;
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (x < values[mid]) hi = mid; else lo = mid;
  }
  return x - values[hi - 1] < values[hi] - x ? hi - 1 : hi;
}

// IQ4_NL / IQ4_XS non-linear grid.
inline constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Row loop shared by every block type: quantize_block(x, importance or null, out) per block.
template <typename Block, int N, typename Fn>
void for_each_block(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float* importance, Fn fn) {
  auto* out = static_cast<Block*>(dst);
  const int64_t nb = n_per_row / N;
  for (int64_t r = 0; r < nrows; ++r)
    for (int64_t b = 0; b < nb; ++b)
      fn(src + r * n_per_row + b * N, importance ? importance + b * N : nullptr, out[r * nb + b]);
}

}  // namespace lowbit::fmt
