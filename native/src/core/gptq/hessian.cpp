#include <algorithm>
#include <vector>

#include "lowbit/gptq.h"
#include "lowbit/linalg.h"

namespace lowbit {

void hessian_accumulate(double* H, const float* X, int64_t n, int64_t cols, int threads) {
  ThreadPool pool(threads);
  hessian_accumulate(H, X, n, cols, pool);
}

void hessian_accumulate(double* H, const float* X, int64_t n, int64_t cols, ThreadPool& pool) {
  constexpr int64_t chunk = 256;
  // Xᵀ of a chunk of rows in fp64, so that H[i][j] += Σ_t Xᵀ[i][t]·Xᵀ[j][t] is an A·Bᵀ product
  std::vector<double> xt(static_cast<size_t>(cols * std::min(n, chunk)));
  for (int64_t t0 = 0; t0 < n; t0 += chunk) {
    const int64_t nt = std::min(chunk, n - t0);
    for (int64_t t = 0; t < nt; ++t)
      for (int64_t j = 0; j < cols; ++j) xt[j * nt + t] = X[(t0 + t) * cols + j];
    linalg::dgemm_nt(cols, cols, nt, 1.0, xt.data(), nt, xt.data(), nt, H, cols, &pool, true);
  }
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < i; ++j) H[j * cols + i] = H[i * cols + j];
}

std::vector<double> HessianAccumulator::normalized() const {
  std::vector<double> h(sum_);
  const double s = count_ > 0 ? 2.0 / static_cast<double>(count_) : 0.0;
  for (double& v : h) v *= s;
  return h;
}

double weighted_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H,
                      const uint8_t* q, int threads) {
  ThreadPool pool(threads);
  return weighted_error(type, W, rows, cols, H, q, pool);
}

double weighted_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H,
                      const uint8_t* q, ThreadPool& pool) {
  const size_t row_bytes = row_size(type, cols);
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, (int64_t{1} << 24) / cols));
  std::vector<float> deq(static_cast<size_t>(cols));
  std::vector<double> D(static_cast<size_t>(chunk * cols)), DH(static_cast<size_t>(chunk * cols));
  double total = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t nr = std::min(chunk, rows - r0);
    for (int64_t r = 0; r < nr; ++r) {
      dequantize_row(type, q + (r0 + r) * row_bytes, deq.data(), cols);
      for (int64_t j = 0; j < cols; ++j) D[r * cols + j] = static_cast<double>(W[(r0 + r) * cols + j]) - deq[j];
    }
    std::fill(DH.begin(), DH.begin() + nr * cols, 0.0);
    // (D·H)[r][j] = Σ_k D[r][k]·H[j][k] (H symmetric)
    linalg::dgemm_nt(nr, cols, cols, 1.0, D.data(), cols, H, cols, DH.data(), cols, &pool);
    for (int64_t i = 0; i < nr * cols; ++i) total += D[i] * DH[i];
  }
  return total;
}

}  // namespace lowbit
