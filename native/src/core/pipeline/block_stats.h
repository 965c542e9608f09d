// What the block-by-block pipelines share: the inputs of a block's linear layers, their XᵀX
// accumulated over the calibration sequences, and releasing a block's source pages.
#pragma once

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../engine/forward.h"
#include "../engine/mapped_file.h"
#include "lowbit/gptq.h"
#include "lowbit/linalg.h"

namespace lowbit {

// The four inputs of a block's linear layers, in the order the forward pass sees them.
enum Input { kAttnIn = 0, kAttnOut = 1, kFfnIn = 2, kFfnMid = 3, kInputs = 4 };

// Stores the inputs of one forward pass of a block (the original model's, for QEP).
class InputRecorder : public ActivationObserver {
 public:
  void observe(const std::vector<const Weight*>&, const float* x, int64_t n, int64_t dim) override {
    inputs_[next_++ % kInputs].assign(x, x + n * dim);
  }
  const std::vector<float>& input(int i) const { return inputs_[i]; }
  void rewind() { next_ = 0; }

 private:
  std::vector<float> inputs_[kInputs];
  int next_ = 0;
};

// Accumulates XᵀX of each input over the calibration sequences, and with a recorder of the
// original model's inputs X also (X − X̂)ᵀX̂ for QEP.
class HessianCapture : public ActivationObserver {
 public:
  HessianCapture(const std::vector<int64_t>& dims, const InputRecorder* original, ThreadPool& pool)
      : dims_(dims), original_(original), pool_(pool) {
    for (int i = 0; i < kInputs; ++i) {
      h_[i].assign(static_cast<size_t>(dims[i] * dims[i]), 0.0);
      if (original_) delta_[i].assign(h_[i].size(), 0.0);
    }
  }

  void observe(const std::vector<const Weight*>&, const float* x, int64_t n, int64_t dim) override {
    const int i = next_++ % kInputs;
    if (dim != dims_[i]) throw std::logic_error("pipeline: unexpected input width");
    hessian_accumulate(h_[i].data(), x, n, dim, pool_);
    if (i == 0) tokens_ += n;
    if (original_) accumulate_delta(i, original_->input(i).data(), x, n, dim);
  }

  const std::vector<double>& hessian(int i) const { return h_[i]; }
  const double* delta(int i) const { return original_ ? delta_[i].data() : nullptr; }
  int64_t tokens() const { return tokens_; }

 private:
  // D[i][j] += Σ_t (x − x̂)[t][i] · x̂[t][j], as an A·Bᵀ product of transposed chunks
  void accumulate_delta(int i, const float* x, const float* xq, int64_t n, int64_t dim) {
    constexpr int64_t chunk = 256;
    std::vector<double> a(static_cast<size_t>(dim * std::min(n, chunk))), b(a.size());
    for (int64_t t0 = 0; t0 < n; t0 += chunk) {
      const int64_t nt = std::min(chunk, n - t0);
      for (int64_t t = 0; t < nt; ++t)
        for (int64_t j = 0; j < dim; ++j) {
          const size_t s = static_cast<size_t>((t0 + t) * dim + j);
          a[j * nt + t] = static_cast<double>(x[s]) - xq[s];
          b[j * nt + t] = xq[s];
        }
      linalg::dgemm_nt(dim, dim, nt, 1.0, a.data(), nt, b.data(), nt, delta_[i].data(), dim, &pool_);
    }
  }

  std::vector<int64_t> dims_;
  const InputRecorder* original_;
  ThreadPool& pool_;
  std::vector<double> h_[kInputs], delta_[kInputs];
  int next_ = 0;
  int64_t tokens_ = 0;
};

// A linear tensor of a block: where it is in LayerWeights and which input feeds it.
struct Slot {
  Weight LayerWeights::*member;
  Input input;
};
inline constexpr Slot kSlots[] = {
    {&LayerWeights::wq, kAttnIn}, {&LayerWeights::wk, kAttnIn},  {&LayerWeights::wv, kAttnIn},   {&LayerWeights::wo, kAttnOut},
    {&LayerWeights::gate, kFfnIn}, {&LayerWeights::up, kFfnIn}, {&LayerWeights::down, kFfnMid},
};

inline void release_weight_pages(const Weight& w) { release_pages(w.data, w.row_bytes * static_cast<size_t>(w.rows)); }

inline void release_block_pages(const LayerWeights& L) {
  for (const Slot& s : kSlots) release_weight_pages(L.*s.member);
  for (const Weight* w : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv, &L.q_norm, &L.k_norm}) release_weight_pages(*w);
}

// XᵀX of output.weight's inputs: the final RMS norm of the last block's outputs (n × n_embd).
inline std::vector<double> output_hessian(const Model& m, const float* acts, int64_t n, ThreadPool& pool) {
  const Hparams& hp = m.hp();
  const int64_t E = hp.n_embd, chunk = 256;
  std::vector<float> nw(static_cast<size_t>(E)), normed(static_cast<size_t>(chunk * E));
  dequantize_row(*m.output_norm().type, m.output_norm().row(0), nw.data(), E);
  std::vector<double> h(static_cast<size_t>(E * E), 0.0);
  for (int64_t t0 = 0; t0 < n; t0 += chunk) {
    const int64_t nt = std::min(chunk, n - t0);
    for (int64_t t = 0; t < nt; ++t) {
      const float* x = acts + (t0 + t) * E;
      double sum = 0;
      for (int64_t i = 0; i < E; ++i) sum += static_cast<double>(x[i] * x[i]);
      const float scale = 1.0f / std::sqrt(static_cast<float>(sum / E) + hp.rms_eps);
      for (int64_t i = 0; i < E; ++i) normed[t * E + i] = (x[i] * scale) * nw[i];
    }
    hessian_accumulate(h.data(), normed.data(), nt, E, pool);
  }
  return h;
}

// The embeddings of n tokens (n × n_embd), refusing ids outside the vocabulary.
inline std::vector<float> embed_tokens(const Model& m, const int32_t* tokens, int64_t n) {
  const Weight& emb = m.token_embd();
  const int64_t E = m.hp().n_embd;
  std::vector<float> x(static_cast<size_t>(n * E));
  for (int64_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= emb.rows)
      throw std::runtime_error("token id " + std::to_string(tokens[t]) + " is outside the vocabulary of " + std::to_string(emb.rows));
    dequantize_row(*emb.type, emb.row(tokens[t]), x.data() + t * E, E);
  }
  return x;
}

// All of a weight's values as f32 (rows × ne0).
inline std::vector<float> weight_values(const Weight& w) {
  std::vector<float> W(static_cast<size_t>(w.rows * w.ne0));
  for (int64_t r = 0; r < w.rows; ++r) dequantize_row(*w.type, w.row(r), W.data() + r * w.ne0, w.ne0);
  return W;
}

// The inputs' widths, in Input order.
inline std::vector<int64_t> block_input_dims(const Hparams& hp) { return {hp.n_embd, hp.n_head * hp.head_dim, hp.n_embd, hp.n_ff}; }

}  // namespace lowbit
