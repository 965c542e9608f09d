#include "lowbit/gptq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "linalg.h"
#include "lowbit/grid.h"
#include "lowbit/thread_pool.h"

namespace lowbit {
namespace {

// The grid value nearest to w given the element's scale and offset (computed as the dequantizer
// computes it), and its code.
int nearest_code(const BlockGrid& g, float w, float scale, float offset, bool has_offset, float* value) {
  int best = 0;
  float best_err = INFINITY;
  auto consider = [&](int k) {
    float v = static_cast<float>(g.levels[k]) * scale;
    if (has_offset) v += offset;
    const float err = std::fabs(v - w);
    if (err < best_err) { best_err = err; best = k; *value = v; }
  };
  const int n = static_cast<int>(g.levels.size());
  const bool uniform = g.levels.back() - g.levels.front() == n - 1;
  if (uniform && scale != 0) {
    const int k = static_cast<int>(std::lround((w - (has_offset ? offset : 0.f)) / scale)) - g.levels.front();
    for (int c = std::max(0, std::min(n - 1, k) - 1); c <= std::min(n - 1, std::max(0, k) + 1); ++c) consider(c);
  } else {
    for (int c = 0; c < n; ++c) consider(c);
  }
  return best;
}

}  // namespace

GptqResult gptq_quantize(const TypeTraits& type, const float* W0, int64_t rows, int64_t cols, const double* H0, const GptqOptions& o) {
  const BlockGrid* grid = find_grid(type.type);
  if (!grid) throw std::runtime_error(std::string("GPTQ does not support ") + type.name + " yet");
  const int64_t bs = grid->block_size;
  if (cols % bs != 0) throw std::runtime_error("rows of " + std::to_string(cols) + " are not whole " + type.name + " blocks");
  const int64_t B = std::max<int64_t>(bs, o.block / bs * bs);
  const size_t block_bytes = type.type_size;
  const int64_t nblocks = cols / bs;

  std::vector<float> W(W0, W0 + rows * cols);
  std::vector<double> H(H0, H0 + cols * cols);
  GptqResult res;
  for (int64_t j = 0; j < cols; ++j) {
    if (H[j * cols + j] == 0) {
      H[j * cols + j] = 1;
      for (int64_t r = 0; r < rows; ++r) W[r * cols + j] = 0;
      ++res.dead_columns;
    }
  }
  std::vector<float> importance(static_cast<size_t>(cols));
  double mean_diag = 0;
  for (int64_t j = 0; j < cols; ++j) {
    importance[j] = static_cast<float>(H[j * cols + j]);
    mean_diag += H[j * cols + j];
  }
  mean_diag /= static_cast<double>(cols);

  std::vector<double> L;
  double lambda = o.damp;
  for (int attempt = 0;; ++attempt, lambda += o.damp_step) {
    if (attempt >= o.max_tries) throw std::runtime_error("the Hessian stays singular even with damping " + std::to_string(lambda));
    L = H;
    for (int64_t j = 0; j < cols; ++j) L[j * cols + j] += lambda * mean_diag;
    if (linalg::cholesky_lower(L, cols)) break;
  }
  res.damp = lambda;
  const std::vector<double> U = linalg::upper_cholesky_of_inverse(L, cols);

  res.data.assign(static_cast<size_t>(rows * nblocks) * block_bytes, 0);
  std::vector<float> fitted(static_cast<size_t>(rows * bs));   // the values a block was fitted on
  std::vector<float> fitted_q(static_cast<size_t>(rows * bs));  // and their dequantized codes
  std::vector<float> E(static_cast<size_t>(rows * B));
  std::vector<BlockMap> maps(static_cast<size_t>(rows));  // the current block's affine map, per row
  ThreadPool pool(o.threads);

  for (int64_t b0 = 0; b0 < cols; b0 += B) {
    const int64_t b1 = std::min(cols, b0 + B);
    pool.parallel_for(rows, [&](int, int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        float* w = W.data() + r * cols;
        for (int64_t j = b0; j < b1; ++j) {
          const int64_t blk = j / bs, i = j % bs;
          uint8_t* block = res.data.data() + (r * nblocks + blk) * block_bytes;
          float* fit_w = fitted.data() + r * bs;
          float* fit_q = fitted_q.data() + r * bs;
          if (i == 0) {  // fit this block's grid on the weights as they are now
            quantize_rows(type, w + j, block, 1, bs, importance.data() + j);
            std::memcpy(fit_w, w + j, bs * sizeof(float));
            dequantize_row(type, block, fit_q, bs);
            grid->map(block, maps[r]);
          }
          float q;
          if (std::memcmp(&w[j], &fit_w[i], sizeof(float)) == 0) {
            q = fit_q[i];  // unchanged since the fit: keep the quantizer's own choice
          } else {
            const BlockMap& m = maps[r];
            const int g = static_cast<int>(i) / m.group;
            const int code = nearest_code(*grid, w[j], m.scale[g], m.offset[g], m.has_offset, &q);
            grid->set_code(block, static_cast<int>(i), code);
          }
          const double ujj = U[j * cols + j];
          const float e = static_cast<float>((w[j] - q) / ujj);
          E[r * B + (j - b0)] = e;
          const double* urow = U.data() + j * cols;
          for (int64_t k = j + 1; k < b1; ++k) w[k] -= static_cast<float>(e * urow[k]);
        }
        // lazy update of the columns right of this block: W[:, b1:] -= E · U[b0:b1, b1:]
        for (int64_t j = b0; j < b1; ++j) {
          const float e = E[r * B + (j - b0)];
          if (e == 0) continue;
          const double* urow = U.data() + j * cols;
          for (int64_t k = b1; k < cols; ++k) w[k] -= static_cast<float>(e * urow[k]);
        }
      }
    });
  }
  return res;
}

double hessian_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H, const uint8_t* q) {
  const size_t row_bytes = row_size(type, cols);
  std::vector<float> deq(static_cast<size_t>(cols));
  std::vector<double> d(static_cast<size_t>(cols));
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_row(type, q + r * row_bytes, deq.data(), cols);
    for (int64_t j = 0; j < cols; ++j) d[j] = static_cast<double>(W[r * cols + j]) - deq[j];
    for (int64_t i = 0; i < cols; ++i) {
      if (d[i] == 0) continue;
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += H[i * cols + j] * d[j];
      total += d[i] * s;
    }
  }
  return total;
}

}  // namespace lowbit
