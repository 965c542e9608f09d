// Block-by-block quantization of a whole model from calibration tokens (the GPTQ family's
// sequential pipeline): the calibration activations enter block 0; for each block, the block is
// run with its original weights on the current activations to accumulate XᵀX (fp64) of every
// linear layer's input (q/k/v share one, gate/up another), each linear tensor is quantized (GPTQ
// where the target type has a grid, round-to-nearest with diag(XᵀX) as importance otherwise) and
// written to the output file, and the block is run again with the *quantized* weights to produce
// the next block's inputs. output.weight is quantized the same way from the final norm's outputs.
// Peak memory: the activations, one block's statistics and quantized weights; the source model's
// pages are released after each block.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lowbit/convert.h"
#include "lowbit/gptq.h"
#include "lowbit/model.h"

namespace lowbit {

struct PipelineTensorReport {
  std::string name, type;
  int64_t layer = -1;         // -1 outside the blocks
  bool gptq = false;          // false: round-to-nearest with diag(H) as importance (or a float copy)
  // tr((W−Q)·H·(W−Q)ᵀ) with H = (2/n)·ΣxxᵀT over the n calibration tokens (GPTQ's scale); -1 when not measured
  double error = -1;
  double rtn_error = -1;      // the same for llama.cpp's quantizer with importance diag(H)
  double damp = 0;            // λ used (GPTQ)
  double qep_lambda = 0;
  int dead_columns = 0;       // inputs never active in calibration
  int64_t tokens = 0;         // calibration tokens that reached the tensor
  double seconds = 0;
};

struct PipelineOptions {
  int threads = 1;
  int64_t seq_len = 512;
  // block, damp, act_order, refit_subblocks, qep.alpha/lambda and measure (each tensor's error and
  // RTN's on its Hessian, also for types without a grid) are taken from here; the pipeline sets
  // threads, pool, samples, cancel and qep.hdelta itself
  GptqOptions gptq;
  bool qep = false;           // also run the original model and correct for the quantized inputs (QEP)
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(double done, double total)> progress;
  std::function<void(const PipelineTensorReport&)> on_tensor;  // called on the worker thread
};

struct PipelineResult {
  std::vector<PipelineTensorReport> tensors;
  int64_t tokens = 0;
  int64_t sequences = 0;
};

// `jobs` describe every tensor of the output file (as for convert_tensors); the model's linear
// tensors are matched to jobs by name and quantized in the pipeline, every other job is converted
// as usual. tokens: whole sequences of seq_len tokens.
PipelineResult quantize_sequential(const Model& model, const std::vector<int32_t>& tokens, const std::vector<ConvertJob>& jobs,
                                   const std::string& out_path, const PipelineOptions& options);

}  // namespace lowbit
