// Perplexity with llama-perplexity's protocol, plus KL divergence and top-1 agreement to a
// reference model on the same scored positions.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "lowbit/model.h"

namespace lowbit {

struct EvalOptions {
  int64_t n_ctx = 512;
  int threads = 1;
  int32_t bos = -1;
  bool add_bos = true;
  const Model* reference = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int64_t done, int64_t total)> progress;
};

struct EvalResult {
  double nll = 0;       // summed over scored positions
  double nll2 = 0;      // summed squares, for the standard error of the mean NLL
  int64_t count = 0;
  int64_t chunks = 0;
  double kl = 0;        // summed KL(P_ref || P_model)
  double kl2 = 0;       // summed squares of the per-position KL
  int64_t top1 = 0;     // positions where both argmaxes agree
  double ref_nll = 0;
  double seconds = 0;
};

EvalResult evaluate_perplexity(const Model& model, const std::vector<int32_t>& tokens, const EvalOptions& options);

// Logits of every position of one fresh sequence (tokens.size() × n_vocab).
std::vector<float> sequence_logits(const Model& model, const std::vector<int32_t>& tokens, int threads);

}  // namespace lowbit
