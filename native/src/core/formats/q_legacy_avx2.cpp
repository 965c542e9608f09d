// AVX2 versions of the hottest 32-block kernels. Each produces the same bits as the reference in
// q_legacy.cpp: the same float operations in the same order (the build disables FMA contraction).
#include "blocks.h"
#include "legacy.h"
#include "lowbit/simd.h"

namespace lowbit::fmt::simd {

#ifdef LOWBIT_X86
namespace {

LOWBIT_TARGET_AVX2 inline __m256 load_f16x8(const uint16_t* h) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}

// 16 bytes of packed nibbles -> two vectors of 16 codes as int32 halves.
LOWBIT_TARGET_AVX2 inline void nibbles(const uint8_t* qs, __m256i& lo0, __m256i& lo1, __m256i& hi0, __m256i& hi1) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0f);
  const __m128i lo = _mm_and_si128(b, m);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);
  lo0 = _mm256_cvtepu8_epi32(lo);
  lo1 = _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8));
  hi0 = _mm256_cvtepu8_epi32(hi);
  hi1 = _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8));
}

LOWBIT_TARGET_AVX2 void deq_q4_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  const __m256i eight = _mm256_set1_epi32(8);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const __m256 d = _mm256_set1_ps(h2f(b[i].d));
    __m256i l0, l1, h0, h1;
    nibbles(b[i].qs, l0, l1, h0, h1);
    _mm256_storeu_ps(y, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(l0, eight)), d));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(l1, eight)), d));
    _mm256_storeu_ps(y + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(h0, eight)), d));
    _mm256_storeu_ps(y + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(h1, eight)), d));
  }
}

LOWBIT_TARGET_AVX2 void deq_q4_1(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const __m256 d = _mm256_set1_ps(h2f(b[i].d));
    const __m256 m = _mm256_set1_ps(h2f(b[i].m));
    __m256i l0, l1, h0, h1;
    nibbles(b[i].qs, l0, l1, h0, h1);
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(l0), d), m));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(l1), d), m));
    _mm256_storeu_ps(y + 16, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(h0), d), m));
    _mm256_storeu_ps(y + 24, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(h1), d), m));
  }
}

LOWBIT_TARGET_AVX2 void deq_q8_0(const void* src, float* y, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / QK; ++i, y += QK) {
    const __m256 d = _mm256_set1_ps(h2f(b[i].d));
    for (int k = 0; k < QK; k += 8) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + k));
      _mm256_storeu_ps(y + k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
    }
  }
}

LOWBIT_TARGET_AVX2 inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

LOWBIT_TARGET_AVX2 inline __m256 abs_ps(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

// roundf(): ties away from zero (not the instruction's ties-to-even).
LOWBIT_TARGET_AVX2 inline __m256i round_away(__m256 v) {
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = abs_ps(_mm256_sub_ps(v, t));
  const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));
  const __m256 bump = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one);
  return _mm256_cvttps_epi32(_mm256_add_ps(t, bump));
}

// Loads one 32-element block into v and returns its largest magnitude.
LOWBIT_TARGET_AVX2 inline float load_block_absmax(const float* x, __m256* v) {
  __m256 amax = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, abs_ps(v[k]));
  }
  return hmax(amax);
}

LOWBIT_TARGET_AVX2 void quant_q8_0(const float* x, void* dst, int64_t nrows, int64_t n_per_row, const float*) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  const int64_t nb = nrows * n_per_row / QK;
  for (int64_t i = 0; i < nb; ++i, x += QK) {
    __m256 v[4];
    const float d = load_block_absmax(x, v) / 127;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f2h(d);
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) q[k] = round_away(_mm256_mul_ps(v[k], vid));
    // int32 -> int8 keeping the low byte, as the reference's cast does (also when 1/d overflowed and
    // the conversion produced 0x80000000), with the lanes back in order
    const __m256i low = _mm256_set1_epi32(0xff);
    const __m256i p01 = _mm256_packus_epi32(_mm256_and_si256(q[0], low), _mm256_and_si256(q[1], low));
    const __m256i p23 = _mm256_packus_epi32(_mm256_and_si256(q[2], low), _mm256_and_si256(q[3], low));
    __m256i p = _mm256_packus_epi16(p01, p23);
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs), p);
  }
}

LOWBIT_TARGET_AVX2 void quant_q4_0(const float* x, void* dst, int64_t nrows, int64_t n_per_row, const float* importance) {
  auto* y = static_cast<BlockQ4_0*>(dst);
  const int64_t nb = nrows * n_per_row / QK;
  for (int64_t i = 0; i < nb; ++i, x += QK) {
    __m256 v[4];
    const float a = load_block_absmax(x, v);
    float max = 0;  // the first element of largest magnitude, with its sign (+0 when all are zero)
    if (a > 0)
      for (int j = 0; j < QK; ++j)
        if (std::fabs(x[j]) == a) { max = x[j]; break; }
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = f2h(d);
    const __m256 vid = _mm256_set1_ps(id);
    const __m256 off = _mm256_set1_ps(8.5f);
    const __m256i fifteen = _mm256_set1_epi32(15);
    __m256i q[4];
    for (int k = 0; k < 4; ++k)
      q[k] = _mm256_min_epi32(fifteen, _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[k], vid), off)));
    alignas(32) int32_t c[QK];
    for (int k = 0; k < 4; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(c + 8 * k), q[k]);
    for (int j = 0; j < QK / 2; ++j) y[i].qs[j] = static_cast<uint8_t>(c[j] | (c[j + 16] << 4));
  }
}

}  // namespace

void (*const dequantize_q4_0)(const void*, float*, int64_t) = deq_q4_0;
void (*const dequantize_q4_1)(const void*, float*, int64_t) = deq_q4_1;
void (*const dequantize_q8_0)(const void*, float*, int64_t) = deq_q8_0;
void (*const quantize_q4_0)(const float*, void*, int64_t, int64_t, const float*) = quant_q4_0;
void (*const quantize_q8_0)(const float*, void*, int64_t, int64_t, const float*) = quant_q8_0;
#else
void (*const dequantize_q4_0)(const void*, float*, int64_t) = nullptr;
void (*const dequantize_q4_1)(const void*, float*, int64_t) = nullptr;
void (*const dequantize_q8_0)(const void*, float*, int64_t) = nullptr;
void (*const quantize_q4_0)(const float*, void*, int64_t, int64_t, const float*) = nullptr;
void (*const quantize_q8_0)(const float*, void*, int64_t, int64_t, const float*) = nullptr;
#endif

}  // namespace lowbit::fmt::simd
