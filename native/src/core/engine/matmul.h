// y[t][o] = Σ_k x[t][k] · W[o][k] for a weight matrix stored in any block type. Weight rows are
// expanded a tile at a time into a small per-thread buffer (never the whole matrix) and
// multiplied with every token of the batch, so expansion is amortised over the batch.
#pragma once

#include <cstdint>

#include "lowbit/model.h"
#include "lowbit/thread_pool.h"

namespace lowbit {

// x: n_tok rows of W.ne0 floats; y: n_tok rows of W.rows floats.
void matmul(ThreadPool& pool, const Weight& w, const float* x, int64_t n_tok, float* y);

// Dot product of two float vectors (SIMD when available).
float dot(const float* a, const float* b, int64_t n);

}  // namespace lowbit
