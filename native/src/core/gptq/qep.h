#pragma once

#include <cstdint>

#include "lowbit/gptq.h"
#include "lowbit/thread_pool.h"

namespace lowbit::gptq {

// QEP (FujitsuResearch/qep): W ← W + α·W·H_δ·(H + λ·mean(diag H)·I)⁻¹, in fp64, before GPTQ.
// λ is raised by step until the factorisation succeeds; returns the λ used.
double qep_correct(float* W, int64_t rows, int64_t cols, const double* H, const QepOptions& o, double step,
                   int max_tries, ThreadPool* pool);

}  // namespace lowbit::gptq
