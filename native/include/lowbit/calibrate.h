// Calibration statistics from the forward pass: per linear layer, the sum of x² of each input
// column over every calibration token (llama.cpp's importance matrix, the diagonal of XᵀX).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lowbit/model.h"

namespace lowbit {

struct ImatrixOptions {
  int64_t n_ctx = 512;
  int threads = 1;
  int32_t bos = -1;
  bool add_bos = true;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int64_t done, int64_t total)> progress;
};

struct ImatrixResult {
  std::map<std::string, std::vector<double>> sums;  // per weight name, one per input column
  int64_t tokens = 0;
  int64_t chunks = 0;
};

// Evaluates the tokens in chunks of n_ctx (first token of each chunk replaced by BOS, as
// llama-imatrix does) and accumulates x² of every linear layer's input in double.
ImatrixResult collect_imatrix(const Model& model, const std::vector<int32_t>& tokens, const ImatrixOptions& options);

}  // namespace lowbit
