// GPTQ into ggml block formats: columns (the input dimension, along which blocks run) are
// quantized left to right; each block's grid (scale, offset) is fitted with the type's own
// llama.cpp-exact quantizer, weighted by diag(H), on the *updated* weights when the loop reaches
// the block; every column's rounding error is spread over the columns not yet quantized.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/formats.h"

namespace lowbit {

struct GptqOptions {
  int64_t block = 128;      // columns per lazy-update block (a multiple of the type's block size)
  double damp = 0.01;       // λ: λ·mean(diag H) is added to the diagonal
  double damp_step = 0.01;  // added to λ when the Cholesky factorisation fails
  int max_tries = 20;
  int threads = 1;
};

struct GptqResult {
  std::vector<uint8_t> data;  // rows × (cols / block_size) blocks
  double damp = 0;            // λ actually used
  int dead_columns = 0;       // inputs never active in calibration (H_jj = 0)
};

// W: rows × cols, row-major. H: cols × cols, symmetric (XᵀX or a multiple of it).
GptqResult gptq_quantize(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H, const GptqOptions& options);

// tr((W − Q) H (W − Q)ᵀ) for quantized bytes Q of the given type.
double hessian_error(const TypeTraits& type, const float* W, int64_t rows, int64_t cols, const double* H, const uint8_t* q);

}  // namespace lowbit
