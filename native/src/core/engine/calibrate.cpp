#include "lowbit/calibrate.h"

#include <stdexcept>

#include "forward.h"

namespace lowbit {
namespace {

class SquareSums : public ActivationObserver {
 public:
  explicit SquareSums(ThreadPool& pool, ImatrixResult& out) : pool_(pool), out_(out) {}

  void observe(const std::vector<const Weight*>& tensors, const float* x, int64_t n_tok, int64_t dim) override {
    std::vector<double>& first = column_sums(tensors.front()->name, dim);
    // columns are independent: split them across threads, each summing over all tokens
    pool_.parallel_for(dim, [&](int, int64_t c0, int64_t c1) {
      for (int64_t t = 0; t < n_tok; ++t) {
        const float* row = x + t * dim;
        for (int64_t c = c0; c < c1; ++c) first[c] += static_cast<double>(row[c]) * row[c];
      }
    });
    for (size_t i = 1; i < tensors.size(); ++i) shared_[tensors[i]->name] = tensors.front()->name;
  }

  // Tensors that share an input (q/k/v, gate/up) get the same sums.
  void finish() {
    for (const auto& [to, from] : shared_) out_.sums[to] = out_.sums[from];
  }

 private:
  std::vector<double>& column_sums(const std::string& name, int64_t dim) {
    auto& v = out_.sums[name];
    if (v.empty()) v.assign(static_cast<size_t>(dim), 0.0);
    return v;
  }
  ThreadPool& pool_;
  ImatrixResult& out_;
  std::map<std::string, std::string> shared_;  // tensor -> the tensor whose input it shares
};

}  // namespace

ImatrixResult collect_imatrix(const Model& model, const std::vector<int32_t>& tokens, const ImatrixOptions& o) {
  const int64_t n_ctx = o.n_ctx;
  const int64_t n_chunk = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (n_ctx < 2 || n_chunk < 1)
    throw std::runtime_error("the calibration text has " + std::to_string(tokens.size()) + " tokens, fewer than one context of " + std::to_string(n_ctx));
  ThreadPool pool(o.threads);
  Context ctx(model, n_ctx, pool);
  ImatrixResult result;
  SquareSums sums(pool, result);
  ctx.set_observer(&sums);
  std::vector<int32_t> batch(static_cast<size_t>(n_ctx));
  for (int64_t c = 0; c < n_chunk; ++c) {
    std::copy(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx, batch.begin());
    if (o.add_bos && o.bos >= 0) batch[0] = o.bos;
    ctx.reset();
    ctx.forward(batch.data(), n_ctx, n_ctx, nullptr, o.cancel);  // no logits needed
    result.tokens += n_ctx;
    result.chunks = c + 1;
    if (o.progress) o.progress(c + 1, n_chunk);
  }
  sums.finish();
  return result;
}

}  // namespace lowbit
