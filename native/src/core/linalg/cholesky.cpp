// Blocked Cholesky, triangular inverse and the factors GPTQ needs, in fp64 or f32 (the O(n³) work in
// dgemm_nt / sgemm_nt; the small diagonal blocks always sum in double).
#include <algorithm>
#include <cmath>
#include <vector>

#include "lowbit/big_vector.h"
#include "lowbit/linalg.h"
#include "tasks.h"

namespace lowbit::linalg {
namespace {

constexpr int64_t NB = 128;  // panel width (fewer passes over the trailing matrix)
constexpr int64_t JT = 64;   // rows per task in the triangular inverse

inline void gemm_nt(int64_t m, int64_t n, int64_t k, double alpha, const double* A, int64_t lda, const double* B, int64_t ldb,
                    double* C, int64_t ldc, ThreadPool* pool, bool lower_only = false) {
  dgemm_nt(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, lower_only);
}
inline void gemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc, ThreadPool* pool, bool lower_only = false) {
  sgemm_nt(m, n, k, alpha, A, lda, B, ldb, C, ldc, pool, lower_only);
}

// inverse of the nb×nb lower-triangular block at L (leading dimension ld) into out (nb×nb), a row at
// a time: row i of the inverse is −(Σ_{k<i} L[i][k]·row k)/L[i][i], summed in double in the order k
// ascends (the rows are zero right of their diagonal, so every entry sums the same terms in the same
// order as the column-by-column formula), which lets the compiler vectorize the row updates.
template <typename T>
void small_lower_inverse(const T* L, int64_t ld, int64_t nb, T* out) {
  std::fill(out, out + nb * nb, T(0));
  std::vector<double> acc(static_cast<size_t>(nb));
  for (int64_t i = 0; i < nb; ++i) {
    const double inv_ii = 1.0 / L[i * ld + i];
    std::fill(acc.begin(), acc.begin() + i, 0.0);
    for (int64_t k = 0; k < i; ++k) {
      const double lik = L[i * ld + k];
      const T* row = out + k * nb;
      for (int64_t j = 0; j <= k; ++j) acc[j] += lik * row[j];
    }
    for (int64_t j = 0; j < i; ++j) out[i * nb + j] = static_cast<T>(-acc[j] * inv_ii);
    out[i * nb + i] = static_cast<T>(inv_ii);
  }
}

template <typename T>
bool cholesky_lower_impl(T* a, int64_t n, ThreadPool* pool) {
  BigVector<T> inv, panel;
  for (int64_t k0 = 0; k0 < n; k0 += NB) {
    const int64_t k1 = std::min(n, k0 + NB), kb = k1 - k0;
    for (int64_t j = k0; j < k1; ++j) {
      double d = a[j * n + j];
      for (int64_t k = k0; k < j; ++k) d -= static_cast<double>(a[j * n + k]) * a[j * n + k];
      if (!(d > 0) || !std::isfinite(d)) return false;
      const double ljj = std::sqrt(d);
      a[j * n + j] = static_cast<T>(ljj);
      for (int64_t i = j + 1; i < k1; ++i) {
        double s = a[i * n + j];
        for (int64_t k = k0; k < j; ++k) s -= static_cast<double>(a[i * n + k]) * a[j * n + k];
        a[i * n + j] = static_cast<T>(s / ljj);
      }
    }
    if (k1 == n) break;
    // L21 = A21·L11⁻ᵀ, then the trailing A22 −= L21·L21ᵀ (lower part only)
    const int64_t rest = n - k1;
    inv.resize(static_cast<size_t>(kb * kb));
    small_lower_inverse(a + k0 * n + k0, n, kb, inv.data());
    panel.resize(static_cast<size_t>(rest * kb));
    for (int64_t i = 0; i < rest; ++i) {
      T* row = a + (k1 + i) * n + k0;
      std::copy(row, row + kb, panel.data() + i * kb);
      std::fill(row, row + kb, T(0));
    }
    gemm_nt(rest, kb, kb, T(1), panel.data(), kb, inv.data(), kb, a + k1 * n + k0, n, pool);
    gemm_nt(rest, rest, kb, T(-1), a + k1 * n + k0, n, a + k1 * n + k0, n, a + k1 * n + k1, n, pool, true);
  }
  for (int64_t i = 0; i < n; ++i) std::fill(a + i * n + i + 1, a + (i + 1) * n, T(0));
  return true;
}

template <typename T>
BigVector<T> lower_inverse_transposed_impl(const T* L, int64_t n, ThreadPool* pool) {
  BigVector<T> Y(static_cast<size_t>(n * n), T(0)), xii, Tm;
  for (int64_t I0 = 0; I0 < n; I0 += NB) {
    const int64_t I1 = std::min(n, I0 + NB), ib = I1 - I0;
    xii.resize(static_cast<size_t>(ib * ib));
    small_lower_inverse(L + I0 * n + I0, n, ib, xii.data());
    for (int64_t r = 0; r < ib; ++r)
      for (int64_t c = 0; c <= r; ++c) Y[(I0 + c) * n + I0 + r] = xii[r * ib + c];
    if (I0 == 0) continue;
    // rows j < I0 of Y, columns of block I:  Y[j][I] = −(Σ_{k<I0} Y[j][k]·L[I][k]) · X_IIᵀ
    Tm.assign(static_cast<size_t>(I0 * ib), T(0));
    for_each_task(pool, (I0 + JT - 1) / JT, [&](int64_t t) {
      const int64_t j0 = t * JT, jn = std::min(I0, j0 + JT) - j0;
      // Y[j][k] = 0 for k < j, so the sum can start at j0
      gemm_nt(jn, ib, I0 - j0, T(1), Y.data() + j0 * n + j0, n, L + I0 * n + j0, n, Tm.data() + j0 * ib, ib, nullptr);
      gemm_nt(jn, ib, ib, T(-1), Tm.data() + j0 * ib, ib, xii.data(), ib, Y.data() + j0 * n + I0, n, nullptr);
    });
  }
  return Y;
}

// P = J·(H + shift·I)·J, lower part only (J reverses the index order); `diag` replaces H's diagonal
template <typename T, typename Vec>
Vec reversed_lower(const double* H, int64_t n, double shift, const double* diag) {
  Vec P(static_cast<size_t>(n * n), T(0));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) P[i * n + j] = static_cast<T>(H[(n - 1 - i) * n + (n - 1 - j)]);
    const int64_t r = n - 1 - i;
    P[i * n + i] = static_cast<T>((diag ? diag[r] : H[r * n + r]) + shift);
  }
  return P;
}

// out[a][b] = M[n−1−b][n−1−a] for b ≥ a, else 0 (the reversed transpose of a lower-triangular M), in
// tiles so that both sides stay in cache; false when an entry is not finite
template <typename T, typename Vec>
bool reversed_transpose(const T* M, int64_t n, Vec& out) {
  constexpr int64_t TB = 64;
  bool finite = true;
  for (int64_t a0 = 0; a0 < n; a0 += TB)
    for (int64_t b0 = 0; b0 < n; b0 += TB)
      for (int64_t a = a0; a < std::min(n, a0 + TB); ++a)
        for (int64_t b = b0; b < std::min(n, b0 + TB); ++b) {
          const T v = b >= a ? M[(n - 1 - b) * n + (n - 1 - a)] : T(0);
          finite = finite && std::isfinite(v);
          out[a * n + b] = v;
        }
  return finite;
}

template <typename T, typename Vec>
bool upper_cholesky_of_inverse_impl(const double* H, int64_t n, double shift, Vec& U, ThreadPool* pool) {
  Vec P = reversed_lower<T, Vec>(H, n, shift, nullptr);
  if (!cholesky_lower_impl(P.data(), n, pool)) return false;
  // U = J·L⁻¹·J, read from Y = (L⁻¹)ᵀ
  const BigVector<T> Y = lower_inverse_transposed_impl(P.data(), n, pool);
  if (!reversed_transpose<T>(Y.data(), n, P)) return false;
  U.swap(P);
  return true;
}

}  // namespace

bool cholesky_lower(double* a, int64_t n, ThreadPool* pool) { return cholesky_lower_impl(a, n, pool); }

std::vector<double> lower_inverse_transposed(const double* L, int64_t n, ThreadPool* pool) {
  const BigVector<double> Y = lower_inverse_transposed_impl(L, n, pool);
  return std::vector<double>(Y.begin(), Y.end());
}

bool upper_cholesky_of_inverse(const double* H, int64_t n, double shift, std::vector<double>& U, ThreadPool* pool) {
  return upper_cholesky_of_inverse_impl<double>(H, n, shift, U, pool);
}

bool upper_cholesky_reversed(const double* H, int64_t n, double shift, BigVector<float>& R, ThreadPool* pool,
                             const double* diag) {
  R = reversed_lower<float, BigVector<float>>(H, n, shift, diag);
  if (!cholesky_lower_impl(R.data(), n, pool)) return false;
  // J·P·J = (J·L·J)(J·L·J)ᵀ, and J·L·J (upper) is L with both indices reversed: the flat array reversed
  std::reverse(R.begin(), R.end());
  for (const float v : R)
    if (!std::isfinite(v)) return false;
  return true;
}

bool spd_inverse(const double* H, int64_t n, double shift, std::vector<double>& inv, ThreadPool* pool) {
  std::vector<double> U;
  if (!upper_cholesky_of_inverse(H, n, shift, U, pool)) return false;
  std::vector<double> Ut(static_cast<size_t>(n * n));
  transpose(U.data(), n, n, Ut.data());
  inv.assign(static_cast<size_t>(n * n), 0.0);
  // (UᵀU)[i][j] = Σ_k Uᵀ[i][k]·Uᵀ[j][k]
  dgemm_nt(n, n, n, 1.0, Ut.data(), n, Ut.data(), n, inv.data(), n, pool, true);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) inv[j * n + i] = inv[i * n + j];
  return true;
}

void transpose(const double* in, int64_t m, int64_t n, double* out) {
  constexpr int64_t TB = 64;
  for (int64_t i0 = 0; i0 < m; i0 += TB)
    for (int64_t j0 = 0; j0 < n; j0 += TB)
      for (int64_t i = i0; i < std::min(m, i0 + TB); ++i)
        for (int64_t j = j0; j < std::min(n, j0 + TB); ++j) out[j * m + i] = in[i * n + j];
}

}  // namespace lowbit::linalg
