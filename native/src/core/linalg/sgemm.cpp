// f32 GEMM, C += alpha·A·B, Goto-style: B packed in 16-column slivers per KC-deep slab (shared by
// all threads), A packed per task in 6-row slivers (kept in L2), a 6×16 register tile in the
// micro-kernel. Tasks are (MC rows × NC columns) tiles handed out dynamically.
#include <algorithm>
#include <cstring>
#include <vector>

#include "lowbit/linalg.h"
#include "lowbit/simd.h"
#include "tasks.h"

namespace lowbit::linalg {
namespace {

constexpr int64_t MR = 6, NR = 16, KC = 256, MC = 96;

using Kernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha);

void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p, a += MR, b += NR)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NR; ++j) c[r * ldc + j] += alpha * acc[r][j];
}

#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 void kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t p = 0; p < kc; ++p, a += MR, b += NR) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  const __m256 al = _mm256_set1_ps(alpha);
#define put(row, lo, hi)                                                     \
  do {                                                                       \
    float* p_ = (row);                                                       \
    _mm256_storeu_ps(p_, _mm256_fmadd_ps(al, lo, _mm256_loadu_ps(p_)));      \
    _mm256_storeu_ps(p_ + 8, _mm256_fmadd_ps(al, hi, _mm256_loadu_ps(p_ + 8))); \
  } while (0)
  put(c, c00, c01); put(c + ldc, c10, c11); put(c + 2 * ldc, c20, c21);
  put(c + 3 * ldc, c30, c31); put(c + 4 * ldc, c40, c41); put(c + 5 * ldc, c50, c51);
#undef put
}
#endif

void axpy_portable(int64_t n, float a, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 void axpy_avx2(int64_t n, float a, const float* x, float* y) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}
#endif

// 32-byte aligned scratch that grows on demand
struct Buffer {
  std::vector<float> v;
  float* get(size_t n) {
    if (v.size() < n + 8) v.resize(n + 8);
    auto p = reinterpret_cast<uintptr_t>(v.data());
    return v.data() + ((32 - p % 32) % 32) / sizeof(float);
  }
};

void pack_a(const float* A, int64_t lda, int64_t mc, int64_t kc, float* out) {
  for (int64_t s = 0; s < mc; s += MR)
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t r = 0; r < MR; ++r) *out++ = s + r < mc ? A[(s + r) * lda + p] : 0.f;
}

// the same sliver from Bᵀ: B holds the n × k matrix whose transpose is multiplied
void pack_bt_sliver(const float* B, int64_t ldb, int64_t kc, int64_t nc, float* out) {
  for (int64_t j = 0; j < NR; ++j)
    for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = j < nc ? B[j * ldb + p] : 0.f;
}

void pack_b_sliver(const float* B, int64_t ldb, int64_t kc, int64_t nc, float* out) {
  for (int64_t p = 0; p < kc; ++p, out += NR) {
    const float* row = B + p * ldb;
    if (nc == NR) {
      std::memcpy(out, row, NR * sizeof(float));
    } else {
      for (int64_t j = 0; j < NR; ++j) out[j] = j < nc ? row[j] : 0.f;
    }
  }
}

void sgemm_impl(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                float* C, int64_t ldc, ThreadPool* pool, bool b_transposed) {
  if (m <= 0 || n <= 0 || k <= 0 || alpha == 0) return;
  Kernel kernel = kernel_portable;
#ifdef LOWBIT_X86
  if (simd_level() >= SimdLevel::Avx2) kernel = kernel_avx2;
#endif
  const int64_t slivers = (n + NR - 1) / NR;
  const int64_t mblocks = (m + MC - 1) / MC;
  const int threads = pool ? pool->size() : 1;
  // enough tasks for every thread: split the columns only when the rows alone do not provide them
  int64_t nc = slivers * NR;
  if (mblocks < 4 * threads) nc = std::max<int64_t>(NR * 8, (nc * mblocks / (4 * threads) + NR - 1) / NR * NR);
  const int64_t nblocks = (n + nc - 1) / nc;
  Buffer bpack_buf;
  float* bpack = bpack_buf.get(static_cast<size_t>(slivers * NR * KC));
  for (int64_t p0 = 0; p0 < k; p0 += KC) {
    const int64_t kc = std::min(KC, k - p0);
    for_each_task(pool, (slivers + 15) / 16, [&](int64_t t) {
      for (int64_t s = t * 16; s < std::min(slivers, t * 16 + 16); ++s)
        if (b_transposed) pack_bt_sliver(B + s * NR * ldb + p0, ldb, kc, std::min(NR, n - s * NR), bpack + s * NR * kc);
        else pack_b_sliver(B + p0 * ldb + s * NR, ldb, kc, std::min(NR, n - s * NR), bpack + s * NR * kc);
    });
    for_each_task(pool, mblocks * nblocks, [&](int64_t t) {
      thread_local Buffer apack_buf;
      const int64_t i0 = (t / nblocks) * MC, mc = std::min(MC, m - i0);
      const int64_t j0 = (t % nblocks) * nc, j1 = std::min(n, j0 + nc);
      float* apack = apack_buf.get(static_cast<size_t>(MC * kc));
      pack_a(A + i0 * lda + p0, lda, mc, kc, apack);
      alignas(32) float edge[MR * NR];
      for (int64_t j = j0; j < j1; j += NR) {
        const float* b = bpack + (j / NR) * NR * kc;
        const int64_t nr = std::min(NR, n - j);
        for (int64_t i = 0; i < mc; i += MR) {
          const int64_t mr = std::min(MR, mc - i);
          float* c = C + (i0 + i) * ldc + j;
          if (mr == MR && nr == NR) {
            kernel(kc, apack + i * kc, b, c, ldc, alpha);
          } else {
            std::memset(edge, 0, sizeof(edge));
            kernel(kc, apack + i * kc, b, edge, NR, alpha);
            for (int64_t r = 0; r < mr; ++r)
              for (int64_t q = 0; q < nr; ++q) c[r * ldc + q] += edge[r * NR + q];
          }
        }
      }
    });
  }
}

}  // namespace

void sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
           float* C, int64_t ldc, ThreadPool* pool) {
  sgemm_impl(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, false);
}

void sgemm_bt(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float* C, int64_t ldc, ThreadPool* pool) {
  sgemm_impl(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, true);
}

AxpyFn axpy_kernel() {
#ifdef LOWBIT_X86
  if (simd_level() >= SimdLevel::Avx2) return axpy_avx2;
#endif
  return axpy_portable;
}

void sgemm_ref(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
               float* C, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float s = 0;
      for (int64_t p = 0; p < k; ++p) s += A[i * lda + p] * B[p * ldb + j];
      C[i * ldc + j] += alpha * s;
    }
}

}  // namespace lowbit::linalg
