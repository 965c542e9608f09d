// C += alpha·A·Bᵀ (fp64 and f32) with both operands read along k: a 3×4 tile of dot products per
// micro-kernel (AVX2/FMA: 12 accumulators of 4 or 8 lanes), tiles of C small enough that their A and
// B rows stay in L2.
#include <algorithm>

#include "lowbit/linalg.h"
#include "lowbit/simd.h"
#include "tasks.h"

namespace lowbit::linalg {
namespace {

constexpr int64_t MT = 48, NT = 64, KC = 256;

template <typename T, int R, int S>
void micro_portable(int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T* out) {
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < S; ++s) {
      T acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += a[r * lda + p] * b[s * ldb + p];
      out[r * 4 + s] = acc;
    }
}

#ifdef LOWBIT_X86
template <int R, int S>
LOWBIT_TARGET_AVX2 void micro_avx2(int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb, double* out) {
  __m256d acc[R][S];
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < S; ++s) acc[r][s] = _mm256_setzero_pd();
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    __m256d av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_loadu_pd(a + r * lda + p);
    for (int s = 0; s < S; ++s) {
      const __m256d bv = _mm256_loadu_pd(b + s * ldb + p);
      for (int r = 0; r < R; ++r) acc[r][s] = _mm256_fmadd_pd(av[r], bv, acc[r][s]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < S; ++s) {
      const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(acc[r][s]), _mm256_extractf128_pd(acc[r][s], 1));
      double v = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
      for (int64_t q = p; q < k; ++q) v += a[r * lda + q] * b[s * ldb + q];
      out[r * 4 + s] = v;
    }
}

template <int R, int S>
LOWBIT_TARGET_AVX2 void micro_avx2(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* out) {
  __m256 acc[R][S];
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < S; ++s) acc[r][s] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    __m256 av[R];
    for (int r = 0; r < R; ++r) av[r] = _mm256_loadu_ps(a + r * lda + p);
    for (int s = 0; s < S; ++s) {
      const __m256 bv = _mm256_loadu_ps(b + s * ldb + p);
      for (int r = 0; r < R; ++r) acc[r][s] = _mm256_fmadd_ps(av[r], bv, acc[r][s]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < S; ++s) {
      __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[r][s]), _mm256_extractf128_ps(acc[r][s], 1));
      h = _mm_add_ps(h, _mm_movehl_ps(h, h));
      float v = _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
      for (int64_t q = p; q < k; ++q) v += a[r * lda + q] * b[s * ldb + q];
      out[r * 4 + s] = v;
    }
}
#endif

template <typename T>
using Micro = void (*)(int64_t, const T*, int64_t, const T*, int64_t, T*);

template <typename T>
Micro<T> pick(int R, int S, bool avx2) {
#define LOWBIT_MICRO(r, s) \
  if (R == r && S == s) return avx2 ? MICRO_AVX2(r, s) : micro_portable<T, r, s>;
#ifdef LOWBIT_X86
#define MICRO_AVX2(r, s) static_cast<Micro<T>>(micro_avx2<r, s>)
#else
#define MICRO_AVX2(r, s) micro_portable<T, r, s>
#endif
  LOWBIT_MICRO(3, 4) LOWBIT_MICRO(3, 3) LOWBIT_MICRO(3, 2) LOWBIT_MICRO(3, 1)
  LOWBIT_MICRO(2, 4) LOWBIT_MICRO(2, 3) LOWBIT_MICRO(2, 2) LOWBIT_MICRO(2, 1)
  LOWBIT_MICRO(1, 4) LOWBIT_MICRO(1, 3) LOWBIT_MICRO(1, 2) LOWBIT_MICRO(1, 1)
#undef LOWBIT_MICRO
#undef MICRO_AVX2
  return nullptr;
}

template <typename T>
void gemm_nt(int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T* C, int64_t ldc,
             ThreadPool* pool, bool lower_only) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const bool avx2 = simd_level() >= SimdLevel::Avx2;
  Micro<T> table[4][5];
  for (int r = 1; r <= 3; ++r)
    for (int s = 1; s <= 4; ++s) table[r][s] = pick<T>(r, s, avx2);
  const int64_t mt = (m + MT - 1) / MT, nt = (n + NT - 1) / NT;
  // lower_only: tile (ti, tj) is needed when its first column is at or below its last row
  std::vector<std::pair<int64_t, int64_t>> tiles;
  for (int64_t ti = 0; ti < mt; ++ti)
    for (int64_t tj = 0; tj < nt; ++tj)
      if (!lower_only || tj * NT <= std::min(m, (ti + 1) * MT) - 1) tiles.emplace_back(ti, tj);
  for_each_task(pool, static_cast<int64_t>(tiles.size()), [&](int64_t t) {
    const int64_t i0 = tiles[t].first * MT, i1 = std::min(m, i0 + MT);
    const int64_t j0 = tiles[t].second * NT, j1 = std::min(n, j0 + NT);
    T out[12];
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = std::min(KC, k - p0);
      for (int64_t i = i0; i < i1; i += 3) {
        const int R = static_cast<int>(std::min<int64_t>(3, i1 - i));
        const int64_t jend = lower_only ? std::min(j1, i + R) : j1;
        for (int64_t j = j0; j < jend; j += 4) {
          const int S = static_cast<int>(std::min<int64_t>(4, jend - j));
          table[R][S](kc, A + i * lda + p0, lda, B + j * ldb + p0, ldb, out);
          for (int r = 0; r < R; ++r)
            for (int s = 0; s < S; ++s)
              if (!lower_only || j + s <= i + r) C[(i + r) * ldc + j + s] += alpha * out[r * 4 + s];
        }
      }
    }
  });
}

}  // namespace

void dgemm_nt(int64_t m, int64_t n, int64_t k, double alpha, const double* A, int64_t lda, const double* B,
              int64_t ldb, double* C, int64_t ldc, ThreadPool* pool, bool lower_only) {
  gemm_nt<double>(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, lower_only);
}

// f32: products big enough to amortise packing go to the packed GEMM (sgemm_bt). With lower_only,
// the rows are halved recursively: the rectangle left of the lower half's diagonal block is one
// large packed product, and only diagonal blocks of kBase rows are left to the unpacked kernel.
void sgemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float* C, int64_t ldc, ThreadPool* pool, bool lower_only) {
  constexpr int64_t kPacked = 64, kBase = 256;
  if (m < kPacked || n < kPacked || k < kPacked) return gemm_nt<float>(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, lower_only);
  if (!lower_only) return sgemm_bt(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool);
  // rows [r0, r1) against columns [r0, min(r1, n)), the part on or below the diagonal
  auto triangle = [&](auto& self, int64_t r0, int64_t r1) -> void {
    if (r0 >= n) return;
    if (r1 - r0 <= kBase) {
      gemm_nt<float>(r1 - r0, std::min(n, r1) - r0, k, alpha, A + r0 * lda, lda, B + r0 * ldb, ldb, C + r0 * ldc + r0, ldc, pool, true);
      return;
    }
    const int64_t mid = r0 + (r1 - r0) / 2 / kPacked * kPacked;
    self(self, r0, mid);
    sgemm_bt(r1 - mid, std::min(n, mid) - r0, k, alpha, A + mid * lda, lda, B + r0 * ldb, ldb, C + mid * ldc + r0, ldc, pool);
    self(self, mid, r1);
  };
  triangle(triangle, 0, m);
}

void dgemm_nt_ref(int64_t m, int64_t n, int64_t k, double alpha, const double* A, int64_t lda, const double* B,
                  int64_t ldb, double* C, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += A[i * lda + p] * B[j * ldb + p];
      C[i * ldc + j] += alpha * s;
    }
}

}  // namespace lowbit::linalg
