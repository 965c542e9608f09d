#include "linalg.h"

#include <cmath>

namespace lowbit::linalg {

bool cholesky_lower(std::vector<double>& a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0) || !std::isfinite(d)) return false;
    const double ljj = std::sqrt(d);
    a[j * n + j] = ljj;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int64_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
    for (int64_t k = j + 1; k < n; ++k) a[j * n + k] = 0;
  }
  return true;
}

std::vector<double> upper_cholesky_of_inverse(const std::vector<double>& L, int64_t n) {
  // X = L⁻¹ (lower), then H⁻¹ = XᵀX; its upper Cholesky factor U satisfies UᵀU = H⁻¹.
  std::vector<double> X(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    X[i * n + i] = 1.0 / L[i * n + i];
    for (int64_t j = 0; j < i; ++j) {
      double s = 0;
      for (int64_t k = j; k < i; ++k) s -= L[i * n + k] * X[k * n + j];
      X[i * n + j] = s / L[i * n + i];
    }
  }
  std::vector<double> inv(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = i; k < n; ++k) s += X[k * n + i] * X[k * n + j];
      inv[i * n + j] = inv[j * n + i] = s;
    }
  // UᵀU with U upper = lower factor of inv transposed (inv = MMᵀ, U = Mᵀ)
  cholesky_lower(inv, n);
  std::vector<double> U(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) U[j * n + i] = inv[i * n + j];
  return U;
}

}  // namespace lowbit::linalg
