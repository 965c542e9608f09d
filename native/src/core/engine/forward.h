// One inference context: a KV cache and activation buffers for up to n_ctx positions.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "lowbit/model.h"
#include "lowbit/thread_pool.h"

namespace lowbit {

// Sees the input of every linear layer during forward(): x holds n_tok rows of dim floats.
// `tensors` names the weights that multiply this input (q/k/v share one, gate/up another).
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  virtual void observe(const std::vector<const Weight*>& tensors, const float* x, int64_t n_tok, int64_t dim) = 0;
};

class Context {
 public:
  Context(const Model& model, int64_t n_ctx, ThreadPool& pool);
  void reset() { n_past_ = 0; }
  int64_t n_past() const { return n_past_; }
  // Evaluates n tokens after the cached ones as one batch. Logits of batch rows
  // [logits_from, n) go to `logits` ((n - logits_from) × n_vocab). Throws "cancelled" when
  // *cancel becomes true (checked between layers).
  void forward(const int32_t* tokens, int64_t n, int64_t logits_from, float* logits, const std::atomic<bool>* cancel = nullptr);
  void set_observer(ActivationObserver* observer) { observer_ = observer; }
  // One block on x (n × n_embd, updated in place) at positions n_past() onwards, with the given
  // weights (the model's own, or substitutes such as a quantized copy); fills layer l's KV cache
  // but does not advance n_past().
  void run_layer(int64_t l, const LayerWeights& weights, float* x, int64_t n);

 private:
  void reserve(int64_t n);
  void attention(int64_t n, int64_t layer);
  const Model& m_;
  ThreadPool& pool_;
  int64_t n_ctx_;
  int64_t n_past_ = 0;
  ActivationObserver* observer_ = nullptr;
  std::vector<float> k_cache_, v_cache_;  // [layer][pos][kv_dim]
  std::vector<float> x_, xn_, q_, k_, v_, attn_, gate_, up_, ffn_;
};

}  // namespace lowbit
