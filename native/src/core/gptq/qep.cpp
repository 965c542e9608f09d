#include "qep.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowbit/linalg.h"

namespace lowbit::gptq {

double qep_correct(float* W, int64_t rows, int64_t cols, const double* H, const QepOptions& o, double step,
                   int max_tries, ThreadPool* pool) {
  double mean_diag = 0;
  for (int64_t j = 0; j < cols; ++j) mean_diag += H[j * cols + j];
  mean_diag /= static_cast<double>(cols);
  // (H + λ·mean·I)⁻¹ = UᵀU
  std::vector<double> U;
  double lambda = o.lambda;
  for (int attempt = 0;; ++attempt, lambda += step) {
    if (attempt >= max_tries) throw std::runtime_error("QEP: the Hessian stays singular even with damping " + std::to_string(lambda));
    if (linalg::upper_cholesky_of_inverse(H, cols, lambda * mean_diag, U, pool)) break;
  }
  const size_t n = static_cast<size_t>(rows * cols);
  std::vector<double> a(n), b(n, 0.0), t(static_cast<size_t>(cols * cols));
  for (size_t i = 0; i < n; ++i) a[i] = W[i];
  // b = W·H_δ: (W·H_δ)[r][j] = Σ_k W[r][k]·H_δᵀ[j][k]
  linalg::transpose(o.hdelta, cols, cols, t.data());
  linalg::dgemm_nt(rows, cols, cols, 1.0, a.data(), cols, t.data(), cols, b.data(), cols, pool);
  // a = b·Uᵀ
  std::fill(a.begin(), a.end(), 0.0);
  linalg::dgemm_nt(rows, cols, cols, 1.0, b.data(), cols, U.data(), cols, a.data(), cols, pool);
  // b = a·U
  linalg::transpose(U.data(), cols, cols, t.data());
  std::fill(b.begin(), b.end(), 0.0);
  linalg::dgemm_nt(rows, cols, cols, 1.0, a.data(), cols, t.data(), cols, b.data(), cols, pool);
  for (size_t i = 0; i < n; ++i) W[i] = static_cast<float>(W[i] + o.alpha * b[i]);
  return lambda;
}

}  // namespace lowbit::gptq
