// The walk over a model's blocks that the block-by-block methods share (the GPTQ pipeline in
// sequential.cpp, the sensitivity pass in sensitivity.cpp): the calibration sequences and their
// activations, the engine's thread pool and a one-block forward context, cancel checks, progress
// as (done, total), and releasing each block's source pages once the block is done. A method
// gives its per-block work as a step; the walk itself is written only here.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "../engine/forward.h"
#include "lowbit/model.h"
#include "lowbit/thread_pool.h"

namespace lowbit {

struct WalkOptions {
  int threads = 1;
  int64_t seq_len = 512;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(double done, double total)> progress;
};

// Progress is counted in units: `before` units ahead of the blocks, `per_block` for each block,
// `after` once the blocks are done.
struct WalkUnits {
  int before = 0, per_block = 1, after = 0;
};

class BlockWalker {
 public:
  // Takes the whole sequences of seq_len among tokens and embeds them; throws when there is none.
  BlockWalker(const Model& m, const std::vector<int32_t>& tokens, const WalkOptions& o, WalkUnits units);

  ThreadPool& pool() { return pool_; }
  int64_t seq_len() const { return o_.seq_len; }
  int64_t sequences() const { return n_seq_; }
  int64_t tokens() const { return n_seq_ * o_.seq_len; }
  const std::vector<int32_t>& token_ids() const { return tokens_; }
  size_t sequence_floats() const { return static_cast<size_t>(o_.seq_len * m_.hp().n_embd); }
  // The activations entering the next block (sequences() × seq_len × n_embd); a step that runs a
  // block in place on them makes its outputs the next block's inputs.
  std::vector<float>& acts() { return acts_; }
  float* sequence(std::vector<float>& acts, int64_t s) const { return acts.data() + static_cast<size_t>(s) * sequence_floats(); }

  void check_cancel() const;  // throws "cancelled"
  double total() const { return units_.before + units_.per_block * static_cast<double>(m_.hp().n_layer) + units_.after; }
  // where unit k of block l starts
  double block_unit(int64_t l, int k) const { return units_.before + units_.per_block * static_cast<double>(l) + k; }
  void report(double done) const;

  // Block l with `weights` on one sequence x (in place), its linear layers' inputs shown to `observer`.
  void run_block(int64_t l, const LayerWeights& weights, float* x, ActivationObserver* observer = nullptr);
  // fn(s) for every sequence, a cancel check before each; progress runs through unit [unit, unit + 1).
  void for_each_sequence(double unit, const std::function<void(int64_t s)>& fn);
  // step(l, the model's block l) for every block in order, then the block's source pages released.
  void for_each_block(const std::function<void(int64_t l, const LayerWeights& block)>& step);
  // step(output.weight) when the model has one of its own (not tied to token_embd), then its pages released.
  void for_output(const std::function<void(const Weight& output)>& step);
  // XᵀX of output.weight's inputs: the final norm of acts().
  std::vector<double> output_hessian();

 private:
  const Model& m_;
  WalkOptions o_;
  WalkUnits units_;
  int64_t n_seq_;
  ThreadPool pool_;
  Context ctx_;
  std::vector<int32_t> tokens_;
  std::vector<float> acts_;
};

}  // namespace lowbit
