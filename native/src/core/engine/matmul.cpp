#include "matmul.h"

#include <algorithm>
#include <vector>

#include "lowbit/simd.h"

namespace lowbit {
namespace {

constexpr int kTileRows = 16;  // weight rows expanded per tile

float dot_scalar(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Plain reference: every output is one dot product.
void tile_scalar(const float* w, int64_t rows, const float* x, int64_t n_tok, int64_t K, float* y, int64_t ldy) {
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t r = 0; r < rows; ++r) y[t * ldy + r] = dot_scalar(w + r * K, x + t * K, K);
}

#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// R weight rows × T tokens of dot products, 8 lanes at a time, with a scalar tail.
template <int R, int T>
LOWBIT_TARGET_AVX2 inline void kernel_avx2(const float* w, const float* x, int64_t K, float* y, int64_t ldy) {
  __m256 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    __m256 xv[T];
    for (int t = 0; t < T; ++t) xv[t] = _mm256_loadu_ps(x + t * K + k);
    for (int r = 0; r < R; ++r) {
      const __m256 wv = _mm256_loadu_ps(w + r * K + k);
      for (int t = 0; t < T; ++t) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) {
      float s = hsum(acc[r][t]);
      for (int64_t kk = k; kk < K; ++kk) s += w[r * K + kk] * x[t * K + kk];
      y[t * ldy + r] = s;
    }
}

template <int R>
LOWBIT_TARGET_AVX2 void rows_avx2(const float* w, const float* x, int64_t n_tok, int64_t K, float* y, int64_t ldy) {
  int64_t t = 0;
  for (; t + 3 <= n_tok; t += 3) kernel_avx2<R, 3>(w, x + t * K, K, y + t * ldy, ldy);
  for (; t < n_tok; ++t) kernel_avx2<R, 1>(w, x + t * K, K, y + t * ldy, ldy);
}

LOWBIT_TARGET_AVX2 void tile_avx2(const float* w, int64_t rows, const float* x, int64_t n_tok, int64_t K, float* y, int64_t ldy) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) rows_avx2<4>(w + r * K, x, n_tok, K, y + r, ldy);
  for (; r < rows; ++r) rows_avx2<1>(w + r * K, x, n_tok, K, y + r, ldy);
}

// The same kernels 16 lanes wide, for CPUs with AVX-512F.
LOWBIT_TARGET_AVX512 inline float hsum512(__m512 v) {
  return hsum(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
}

template <int R, int T>
LOWBIT_TARGET_AVX512 inline void kernel_avx512(const float* w, const float* x, int64_t K, float* y, int64_t ldy) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 xv[T];
    for (int t = 0; t < T; ++t) xv[t] = _mm512_loadu_ps(x + t * K + k);
    for (int r = 0; r < R; ++r) {
      const __m512 wv = _mm512_loadu_ps(w + r * K + k);
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) {
      float s = hsum512(acc[r][t]);
      for (int64_t kk = k; kk < K; ++kk) s += w[r * K + kk] * x[t * K + kk];
      y[t * ldy + r] = s;
    }
}

template <int R>
LOWBIT_TARGET_AVX512 void rows_avx512(const float* w, const float* x, int64_t n_tok, int64_t K, float* y, int64_t ldy) {
  int64_t t = 0;
  for (; t + 4 <= n_tok; t += 4) kernel_avx512<R, 4>(w, x + t * K, K, y + t * ldy, ldy);
  for (; t < n_tok; ++t) kernel_avx512<R, 1>(w, x + t * K, K, y + t * ldy, ldy);
}

LOWBIT_TARGET_AVX512 void tile_avx512(const float* w, int64_t rows, const float* x, int64_t n_tok, int64_t K, float* y, int64_t ldy) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) rows_avx512<4>(w + r * K, x, n_tok, K, y + r, ldy);
  for (; r < rows; ++r) rows_avx512<1>(w + r * K, x, n_tok, K, y + r, ldy);
}

LOWBIT_TARGET_AVX2 float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}
#endif

}  // namespace

float dot(const float* a, const float* b, int64_t n) {
#ifdef LOWBIT_X86
  if (simd_level() != SimdLevel::Scalar) return dot_avx2(a, b, n);
#endif
  return dot_scalar(a, b, n);
}

void matmul(ThreadPool& pool, const Weight& w, const float* x, int64_t n_tok, float* y) {
  const int64_t K = w.ne0, N = w.rows;
  const int64_t tiles = (N + kTileRows - 1) / kTileRows;
  const SimdLevel level = simd_level();
  // Token blocks keep the activations of one pass in cache while a weight tile is reused.
  const int64_t tok_block = std::max<int64_t>(3, (int64_t{96} * 1024 / 4) / std::max<int64_t>(1, K) / 3 * 3);
  pool.parallel_for(tiles, [&](int, int64_t t0, int64_t t1) {
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(kTileRows * K));
    for (int64_t tile = t0; tile < t1; ++tile) {
      const int64_t r0 = tile * kTileRows;
      const int64_t rows = std::min<int64_t>(kTileRows, N - r0);
      for (int64_t r = 0; r < rows; ++r) dequantize_row(*w.type, w.row(r0 + r), buf.data() + r * K, K);
      for (int64_t tb = 0; tb < n_tok; tb += tok_block) {
        const int64_t nt = std::min(tok_block, n_tok - tb);
#ifdef LOWBIT_X86
        if (level == SimdLevel::Avx512) { tile_avx512(buf.data(), rows, x + tb * K, nt, K, y + tb * N + r0, N); continue; }
        if (level == SimdLevel::Avx2) { tile_avx2(buf.data(), rows, x + tb * K, nt, K, y + tb * N + r0, N); continue; }
#endif
        tile_scalar(buf.data(), rows, x + tb * K, nt, K, y + tb * N + r0, N);
      }
    }
  });
  (void)level;
}

}  // namespace lowbit
