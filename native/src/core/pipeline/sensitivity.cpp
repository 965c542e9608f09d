#include "lowbit/sensitivity.h"

#include <algorithm>
#include <stdexcept>

#include "block_stats.h"
#include "block_walker.h"
#include "lowbit/grid.h"

namespace lowbit {
namespace {

class SensitivityPass {
 public:
  SensitivityPass(const Model& m, const std::vector<int32_t>& tokens, const SensitivityOptions& o)
      : m_(m), o_(o), walk_(m, tokens, WalkOptions{o.threads, o.seq_len, o.cancel, o.progress}, WalkUnits{1, 2, 1}) {
    for (const auto& name : o.types) {
      const TypeTraits* t = find_type(name);
      if (!t) throw std::runtime_error("unknown candidate type " + name);
      types_.push_back(t);
    }
  }

  // Progress: the embedding, then per block the statistics and the measurements, then output.weight.
  std::vector<SensitivityEntry> run() {
    measure_embedding();
    walk_.report(1);
    walk_.for_each_block([&](int64_t l, const LayerWeights& L) {
      HessianCapture stats(block_input_dims(m_.hp()), nullptr, walk_.pool());
      // the block's inputs of the sequences the output error is measured on
      std::vector<float>& acts = walk_.acts();
      block_inputs_.assign(acts.begin(), acts.begin() + static_cast<std::ptrdiff_t>(out_seqs() * walk_.sequence_floats()));
      // in place: the block's outputs are the next block's inputs
      walk_.for_each_sequence(walk_.block_unit(l, 0), [&](int64_t s) { walk_.run_block(l, L, walk_.sequence(acts, s), &stats); });
      for (size_t k = 0; k < std::size(kSlots); ++k) {
        measure(L.*kSlots[k].member, l, stats.hessian(kSlots[k].input), stats.tokens(), &L, kSlots[k].member);
        walk_.report(walk_.block_unit(l, 1) + static_cast<double>(k + 1) / std::size(kSlots));
      }
    });
    walk_.for_output([&](const Weight& out) { measure(out, -1, walk_.output_hessian(), walk_.tokens()); });
    walk_.report(walk_.total());
    return std::move(entries_);
  }

 private:
  int64_t out_seqs() const { return std::min(walk_.sequences(), std::max<int64_t>(0, o_.output_error_sequences)); }

  // Σ‖output − original output‖² per token of block l with `member` replaced by `q`.
  double output_error(int64_t l, const LayerWeights& L, Weight LayerWeights::*member, const TypeTraits& type, const std::vector<uint8_t>& q) {
    LayerWeights Lq = L;
    Weight& w = Lq.*member;
    w.type = &type;
    w.data = q.data();
    w.row_bytes = row_size(type, w.ne0);
    const size_t seq_floats = walk_.sequence_floats();
    std::vector<float> x(seq_floats);
    double err = 0;
    for (int64_t s = 0; s < out_seqs(); ++s) {
      walk_.check_cancel();
      std::copy_n(block_inputs_.data() + s * seq_floats, seq_floats, x.begin());
      walk_.run_block(l, Lq, x.data());
      const float* ref = walk_.acts().data() + s * seq_floats;
      for (size_t i = 0; i < seq_floats; ++i) err += static_cast<double>(x[i] - ref[i]) * (x[i] - ref[i]);
    }
    return err / static_cast<double>(out_seqs() * walk_.seq_len());
  }

  // Measures token_embd on the calibration tokens: Σ_t ‖ΔW[token_t]‖², scaled by 2/n.
  void measure_embedding() {
    const Weight& emb = m_.token_embd();
    const std::vector<int32_t>& tokens = walk_.token_ids();
    const int64_t E = m_.hp().n_embd, n = static_cast<int64_t>(tokens.size());
    std::vector<double> counts(static_cast<size_t>(emb.rows), 0.0);
    for (int64_t t = 0; t < n; ++t) counts[tokens[t]] += 1;
    const std::vector<float> W = weight_values(emb);
    std::vector<float> deq(static_cast<size_t>(E));
    for (const TypeTraits* t : types_) {
      if (E % t->block_size != 0) continue;
      walk_.check_cancel();
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
      walk_.check_cancel();
      SensitivityEntry e{w.name, t->name, layer, row_size(*t, w.ne0) * w.rows, 0, -1, tokens, false};
      std::vector<uint8_t> q;
      if (o_.gptq && t->is_quantized && find_grid(t->type)) {
        GptqOptions go = o_.gptq_options;
        go.pool = &walk_.pool();
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
        e.error = hscale * weighted_error(*t, W.data(), w.rows, w.ne0, h.data(), q.data(), walk_.pool());
      }
      if (block && out_seqs() > 0) e.output_error = output_error(layer, *block, member, *t, q);
      entries_.push_back(std::move(e));
    }
  }

  const Model& m_;
  const SensitivityOptions& o_;
  BlockWalker walk_;
  std::vector<const TypeTraits*> types_;
  std::vector<float> block_inputs_;
  std::vector<SensitivityEntry> entries_;
};

}  // namespace

std::vector<SensitivityEntry> measure_sensitivity(const Model& model, const std::vector<int32_t>& tokens, const SensitivityOptions& options) {
  return SensitivityPass(model, tokens, options).run();
}

}  // namespace lowbit
