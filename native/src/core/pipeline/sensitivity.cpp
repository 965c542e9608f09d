#include "lowbit/sensitivity.h"

#include <algorithm>
#include <stdexcept>

#include "block_stats.h"
#include "lowbit/grid.h"

namespace lowbit {
namespace {

class SensitivityPass {
 public:
  SensitivityPass(const Model& m, const std::vector<int32_t>& tokens, const SensitivityOptions& o)
      : m_(m), hp_(m.hp()), o_(o), pool_(o.threads), ctx_(m, o.seq_len, pool_, 1) {
    n_seq_ = static_cast<int64_t>(tokens.size()) / o.seq_len;
    if (o.seq_len < 2 || n_seq_ < 1) throw std::runtime_error("no complete calibration sequence of " + std::to_string(o.seq_len) + " tokens");
    for (const auto& name : o.types) {
      const TypeTraits* t = find_type(name);
      if (!t) throw std::runtime_error("unknown candidate type " + name);
      types_.push_back(t);
    }
    tokens_.assign(tokens.begin(), tokens.begin() + n_seq_ * o.seq_len);
  }

  std::vector<SensitivityEntry> run() {
    const double total = 2.0 * static_cast<double>(hp_.n_layer) + 2.0;
    embed_and_measure();
    report(1, total);
    for (int64_t l = 0; l < hp_.n_layer; ++l) {
      const LayerWeights& L = m_.layers()[l];
      HessianCapture stats(block_input_dims(hp_), nullptr, pool_);
      const size_t seq_floats = static_cast<size_t>(o_.seq_len * hp_.n_embd);
      std::vector<float> scratch(seq_floats);
      // the block's inputs of the sequences the output error is measured on
      block_inputs_.assign(acts_.begin(), acts_.begin() + static_cast<std::ptrdiff_t>(out_seqs() * seq_floats));
      for (int64_t s = 0; s < n_seq_; ++s) {
        check_cancel();
        float* x = acts_.data() + s * o_.seq_len * hp_.n_embd;
        std::copy_n(x, scratch.size(), scratch.begin());
        ctx_.set_observer(&stats);
        ctx_.reset();
        ctx_.run_layer(l, L, scratch.data(), o_.seq_len);
        // the block's output is the next block's input: the run above already computed it
        std::copy(scratch.begin(), scratch.end(), x);
      }
      ctx_.set_observer(nullptr);
      report(1.0 + 2.0 * l + 1.0, total);
      for (const Slot& slot : kSlots) measure(L.*slot.member, l, stats.hessian(slot.input), stats.tokens(), &L, slot.member);
      release_block_pages(L);
      if (l > 0) release_block_pages(m_.layers()[l - 1]);
      report(1.0 + 2.0 * l + 2.0, total);
    }
    const Weight& out = m_.output();
    if (out.data != m_.token_embd().data) {
      check_cancel();
      const int64_t n = n_seq_ * o_.seq_len;
      measure(out, -1, output_hessian(m_, acts_.data(), n, pool_), n);
    }
    report(total, total);
    return std::move(entries_);
  }

 private:
  int64_t out_seqs() const { return std::min(n_seq_, std::max<int64_t>(0, o_.output_error_sequences)); }

  // Σ‖output − original output‖² per token of block l with `member` replaced by `q`.
  double output_error(int64_t l, const LayerWeights& L, Weight LayerWeights::*member, const TypeTraits& type, const std::vector<uint8_t>& q) {
    LayerWeights Lq = L;
    Weight& w = Lq.*member;
    w.type = &type;
    w.data = q.data();
    w.row_bytes = row_size(type, w.ne0);
    const size_t seq_floats = static_cast<size_t>(o_.seq_len * hp_.n_embd);
    std::vector<float> x(seq_floats);
    double err = 0;
    for (int64_t s = 0; s < out_seqs(); ++s) {
      check_cancel();
      std::copy_n(block_inputs_.data() + s * seq_floats, seq_floats, x.begin());
      ctx_.reset();
      ctx_.run_layer(l, Lq, x.data(), o_.seq_len);
      const float* ref = acts_.data() + s * seq_floats;
      for (size_t i = 0; i < seq_floats; ++i) err += static_cast<double>(x[i] - ref[i]) * (x[i] - ref[i]);
    }
    return err / static_cast<double>(out_seqs() * o_.seq_len);
  }

  void check_cancel() const {
    if (o_.cancel && o_.cancel->load()) throw std::runtime_error("cancelled");
  }
  void report(double done, double total) const {
    if (o_.progress) o_.progress(done, total);
  }

  // Embeds the calibration tokens and measures token_embd: Σ_t ‖ΔW[token_t]‖², scaled by 2/n.
  void embed_and_measure() {
    const Weight& emb = m_.token_embd();
    const int64_t E = hp_.n_embd, n = static_cast<int64_t>(tokens_.size());
    acts_ = embed_tokens(m_, tokens_.data(), n);
    std::vector<double> counts(static_cast<size_t>(emb.rows), 0.0);
    for (int64_t t = 0; t < n; ++t) counts[tokens_[t]] += 1;
    const std::vector<float> W = weight_values(emb);
    std::vector<float> deq(static_cast<size_t>(E));
    for (const TypeTraits* t : types_) {
      if (E % t->block_size != 0) continue;
      check_cancel();
      std::vector<uint8_t> q(row_size(*t, E) * emb.rows);
      quantize_rows(*t, W.data(), q.data(), emb.rows, E, nullptr);
      double err = 0;
      for (int64_t r = 0; r < emb.rows; ++r) {
        if (counts[r] == 0) continue;
        dequantize_row(*t, q.data() + r * row_size(*t, E), deq.data(), E);
        double row = 0;
        for (int64_t i = 0; i < E; ++i) row += static_cast<double>(W[r * E + i] - deq[i]) * (W[r * E + i] - deq[i]);
        err += counts[r] * row;
      }
      entries_.push_back({emb.name, t->name, -1, q.size(), 2.0 * err / static_cast<double>(n), -1, n, false});
    }
  }

  // block and member: where the tensor sits, for the output error (null outside the blocks)
  void measure(const Weight& w, int64_t layer, const std::vector<double>& h, int64_t tokens, const LayerWeights* block = nullptr,
               Weight LayerWeights::*member = nullptr) {
    const std::vector<float> W = weight_values(w);
    const double hscale = 2.0 / static_cast<double>(tokens);
    std::vector<float> importance(static_cast<size_t>(w.ne0));
    for (int64_t j = 0; j < w.ne0; ++j) importance[j] = static_cast<float>(h[j * w.ne0 + j]);
    for (const TypeTraits* t : types_) {
      if (w.ne0 % t->block_size != 0) continue;
      check_cancel();
      SensitivityEntry e{w.name, t->name, layer, row_size(*t, w.ne0) * w.rows, 0, -1, tokens, false};
      std::vector<uint8_t> q;
      if (o_.gptq && t->is_quantized && find_grid(t->type)) {
        GptqOptions go = o_.gptq_options;
        go.pool = &pool_;
        go.threads = o_.threads;
        go.samples = tokens;
        go.measure = true;
        go.cancel = o_.cancel;
        GptqResult g = gptq_quantize(*t, W.data(), w.rows, w.ne0, h.data(), go);
        e.error = g.error;
        e.gptq = true;
        q = std::move(g.data);
      } else {
        q.resize(e.bytes);
        quantize_rows(*t, W.data(), q.data(), w.rows, w.ne0, t->is_quantized ? importance.data() : nullptr);
        e.error = hscale * weighted_error(*t, W.data(), w.rows, w.ne0, h.data(), q.data(), pool_);
      }
      if (block && out_seqs() > 0) e.output_error = output_error(layer, *block, member, *t, q);
      entries_.push_back(std::move(e));
    }
  }

  const Model& m_;
  const Hparams& hp_;
  const SensitivityOptions& o_;
  ThreadPool pool_;
  Context ctx_;
  int64_t n_seq_ = 0;
  std::vector<const TypeTraits*> types_;
  std::vector<int32_t> tokens_;
  std::vector<float> acts_, block_inputs_;
  std::vector<SensitivityEntry> entries_;
};

}  // namespace

std::vector<SensitivityEntry> measure_sensitivity(const Model& model, const std::vector<int32_t>& tokens, const SensitivityOptions& options) {
  return SensitivityPass(model, tokens, options).run();
}

}  // namespace lowbit
