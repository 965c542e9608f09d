// Dequantization as "integer codes + an affine map per group": y = q · scale[g] (+ offset[g]).
// A type decodes one block into this form; the reference and the AVX2 path then apply it, so both
// compute the same float operations in the same order and stay bit-identical.
#pragma once

#include <cstdint>

#include "blocks.h"
#include "lowbit/simd.h"

namespace lowbit::fmt {

struct DecodedBlock {
  int32_t q[QK_K];
  float scale[QK_K / 16];
  float offset[QK_K / 16];
  int group = QK_K;         // elements per group (a multiple of 8)
  bool has_offset = false;  // without one, y = q · scale exactly (no + 0.0 that would turn -0 into +0)
};

inline void apply_ref(const DecodedBlock& b, int n, float* y) {
  for (int i = 0; i < n; ++i) {
    const int g = i / b.group;
    const float v = static_cast<float>(b.q[i]) * b.scale[g];
    y[i] = b.has_offset ? v + b.offset[g] : v;
  }
}

#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 static inline void apply_avx2(const DecodedBlock& b, int n, float* y) {
  for (int i = 0; i < n; i += 8) {
    const int g = i / b.group;
    const __m256 q = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.q + i)));
    __m256 v = _mm256_mul_ps(q, _mm256_set1_ps(b.scale[g]));
    if (b.has_offset) v = _mm256_add_ps(v, _mm256_set1_ps(b.offset[g]));
    _mm256_storeu_ps(y + i, v);
  }
}
#endif

// Reference and AVX2 dequantizers of a type from its decode(block, DecodedBlock&) function.
template <typename Block, int N, void (*Decode)(const Block&, DecodedBlock&)>
void dequantize_decoded_ref(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  DecodedBlock d{};
  for (int64_t i = 0; i < n / N; ++i, y += N) {
    Decode(b[i], d);
    apply_ref(d, N, y);
  }
}

#ifdef LOWBIT_X86
template <typename Block, int N, void (*Decode)(const Block&, DecodedBlock&)>
LOWBIT_TARGET_AVX2 void dequantize_decoded_avx2(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  DecodedBlock d{};
  for (int64_t i = 0; i < n / N; ++i, y += N) {
    Decode(b[i], d);
    apply_avx2(d, N, y);
  }
}
#define LOWBIT_DECODED_AVX2(Block, N, Decode) (dequantize_decoded_avx2<Block, N, Decode>)
#else
#define LOWBIT_DECODED_AVX2(Block, N, Decode) nullptr
#endif

}  // namespace lowbit::fmt
