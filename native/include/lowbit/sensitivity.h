// Per-tensor sensitivity in one pass over the model, block by block on the calibration tokens:
// for every linear tensor and every candidate type whose blocks fit its rows, the error
// tr((W−Q)·H·(W−Q)ᵀ) with H = (2/n)·Σxxᵀ of the tensor's inputs, where Q is the tensor quantized
// by round-to-nearest with diag(H) as importance, or by GPTQ. Each block runs on the original
// model's activations. token_embd's "inputs" are one-hot token ids, so its H is the diagonal of
// (2/n)·token counts; output.weight's inputs are the final norm's outputs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lowbit/gptq.h"
#include "lowbit/model.h"

namespace lowbit {

struct SensitivityOptions {
  int threads = 1;
  int64_t seq_len = 512;
  std::vector<std::string> types;  // candidate ggml types
  bool gptq = false;               // measure GPTQ's error for types that have a grid (slower)
  GptqOptions gptq_options;        // damp, block, act_order, refit_subblocks (the pass measures always)
  // > 0: also run each block with only one tensor quantized on this many calibration sequences and
  // measure the squared error that reaches the block's output (per token)
  int64_t output_error_sequences = 0;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(double done, double total)> progress;
};

struct SensitivityEntry {
  std::string tensor, type;
  int64_t layer = -1;
  uint64_t bytes = 0;
  double error = 0;
  double output_error = -1;  // Σ‖block output − original‖² per token; -1 when not measured
  int64_t tokens = 0;  // calibration tokens that reached the tensor
  bool gptq = false;
};

std::vector<SensitivityEntry> measure_sensitivity(const Model& model, const std::vector<int32_t>& tokens, const SensitivityOptions& options);

}  // namespace lowbit
