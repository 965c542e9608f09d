// F32, F16 and BF16: the unquantized storage types.
#include <cstring>

#include "lowbit/formats.h"
#include "lowbit/fp16.h"
#include "lowbit/simd.h"

namespace lowbit {
namespace {

void dequantize_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }

void quantize_f32(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
  std::memcpy(dst, src, static_cast<size_t>(nrows * n_per_row) * 4);
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
}

void quantize_f16(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
  auto* h = static_cast<uint16_t*>(dst);
  const int64_t n = nrows * n_per_row;
  for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
}

void dequantize_bf16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
}

void quantize_bf16(const float* src, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
  auto* h = static_cast<uint16_t*>(dst);
  const int64_t n = nrows * n_per_row;
  for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
}

#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 void dequantize_f16_avx2(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  for (; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
}

LOWBIT_TARGET_AVX2 void quantize_f16_avx2(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                                          const float*) {
  auto* h = static_cast<uint16_t*>(dst);
  const int64_t n = nrows * n_per_row;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
}

LOWBIT_TARGET_AVX2 void dequantize_bf16_avx2(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
    _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
  }
  for (; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
}
#define LOWBIT_SIMD_OR_NULL(fn) fn
#else
#define LOWBIT_SIMD_OR_NULL(fn) nullptr
#endif

}  // namespace

LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::F32, "F32", 1, 4, false, dequantize_f32, nullptr, quantize_f32, nullptr});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::F16, "F16", 1, 2, false, dequantize_f16,
                                LOWBIT_SIMD_OR_NULL(dequantize_f16_avx2), quantize_f16,
                                LOWBIT_SIMD_OR_NULL(quantize_f16_avx2)});
LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::BF16, "BF16", 1, 2, false, dequantize_bf16,
                                LOWBIT_SIMD_OR_NULL(dequantize_bf16_avx2), quantize_bf16, nullptr});

}  // namespace lowbit
