// GPTQ into ggml block formats: columns (the input dimension, along which blocks run) are
// quantized in order; each block's grid (scales, offsets) is fitted with the type's own
// llama.cpp-exact quantizer, weighted by diag(H), on the *updated* weights when the loop reaches
// the block; every column's rounding error is spread over the columns not yet quantized.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "lowbit/formats.h"
#include "lowbit/thread_pool.h"

namespace lowbit {

struct QepOptions {
  const double* hdelta = nullptr;  // cols × cols, (2/n)·Σ(x − x̂)x̂ᵀ on the same scale as H
  double alpha = 0.5;
  double lambda = 0.01;  // damping of H in the correction, relative to mean(diag H); raised like GPTQ's on failure
};

// The member initialisers are the product's defaults (the binding's gptqDefaults() reports them).
struct GptqOptions {
  int64_t block = 256;      // columns per lazy-update block (rounded to whole ggml blocks when needed); the reference's is 128
  double damp = 0.01;       // λ: λ·mean(diag H) is added to the diagonal
  double damp_step = 0.01;  // added to λ when the Cholesky factorisation fails
  int max_tries = 20;
  int threads = 1;
  ThreadPool* pool = nullptr;  // run on this pool instead of starting `threads` threads
  bool act_order = false;   // block-respecting act-order (see gptq.cpp)
  bool refit_subblocks = true;  // k-quants: refit sub-block scales on updated weights (see gptq.cpp)
  int64_t samples = 0;      // > 0: H is Σ x xᵀ over this many rows and is used as (2/samples)·H
  bool measure = true;      // also compute tr((W−Q)H(W−Q)ᵀ) for GPTQ and for RTN + imatrix
  QepOptions qep;           // applied when qep.hdelta is set
  const std::atomic<bool>* cancel = nullptr;  // checked between column blocks; throws "cancelled"
  std::function<void(double, double)> progress;  // (columns done, columns), after each column block
};

struct GptqResult {
  std::vector<uint8_t> data;  // rows × (cols / block_size) blocks
  double damp = 0;            // λ actually used
  double qep_lambda = 0;      // λ used by the QEP correction (0 without one)
  int dead_columns = 0;       // inputs never active in calibration (H_jj = 0)
  int64_t refits = 0;         // k-quant sub-block scales refitted on updated weights
  double error = -1;          // tr((W−Q)H(W−Q)ᵀ) of the result (measure only; W as given, before QEP)
  double rtn_error = -1;      // the same for llama.cpp's quantizer with importance diag(H)
  double seconds = 0;         // GPTQ (and QEP) time, the error measurement excluded
  double factor_seconds = 0;  // of which: Cholesky factors
  double update_seconds = 0;  // of which: the lazy trailing updates (GEMM)
};

// W: rows × cols, row-major. H: cols × cols, symmetric (XᵀX or a multiple of it).
GptqResult gptq_quantize(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H,
                         const GptqOptions& options);

// tr((W − Q) H (W − Q)ᵀ) for quantized bytes Q of the given type.
double weighted_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H,
                      const uint8_t* q, int threads = 1);
double weighted_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H,
                      const uint8_t* q, ThreadPool& pool);

// H (cols × cols, kept symmetric) += XᵀX for n rows of X (n × cols), accumulated in fp64.
void hessian_accumulate(double* H, const float* X, int64_t n, int64_t cols, int threads = 1);
void hessian_accumulate(double* H, const float* X, int64_t n, int64_t cols, ThreadPool& pool);

// The running sum and count; normalized() is GPTQ's (2/n)·Σ x xᵀ.
class HessianAccumulator {
 public:
  explicit HessianAccumulator(int64_t cols) : cols_(cols), sum_(static_cast<size_t>(cols * cols), 0.0) {}
  void add(const float* X, int64_t n, int threads = 1) {
    hessian_accumulate(sum_.data(), X, n, cols_, threads);
    count_ += n;
  }
  int64_t count() const { return count_; }
  const std::vector<double>& sum() const { return sum_; }
  std::vector<double> normalized() const;

 private:
  int64_t cols_, count_ = 0;
  std::vector<double> sum_;
};

}  // namespace lowbit
