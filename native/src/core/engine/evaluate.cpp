#include "lowbit/evaluate.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cmath>
#include <stdexcept>
#include <string>

#include "forward.h"

namespace lowbit {
namespace {

// log-softmax pieces in double: max and log Σ exp(x - max).
struct LogSum {
  float max;
  double log_sum;
};

LogSum log_sum_exp(const float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(x[i] - max));
  return {max, std::log(s)};
}

int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

void check_finite(const Model& m, const float* logits, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(logits[i])) {
      const std::string culprit = m.find_non_finite();
      throw std::runtime_error("the model produced non-finite logits" + (culprit.empty() ? std::string(" (no weight is NaN or Inf: activations overflowed)") : ": " + culprit));
    }
}

}  // namespace

EvalResult evaluate_perplexity(const Model& model, const std::vector<int32_t>& tokens, const EvalOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t n_ctx = o.n_ctx;
  if (n_ctx < 4) throw std::runtime_error("the context must hold at least 4 tokens");
  const int64_t n_chunk = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (n_chunk < 1)
    throw std::runtime_error("the text has " + std::to_string(tokens.size()) + " tokens, fewer than one context of " + std::to_string(n_ctx));
  const Hparams& hp = model.hp();
  if (o.reference && o.reference->hp().n_vocab != hp.n_vocab)
    throw std::runtime_error("the reference model's vocabulary differs from the model's");
  const int64_t V = hp.n_vocab;
  const int64_t first = n_ctx / 2;
  ThreadPool pool(o.threads);
  Context ctx(model, n_ctx, pool);
  std::unique_ptr<Context> ref_ctx;
  if (o.reference) ref_ctx = std::make_unique<Context>(*o.reference, n_ctx, pool);
  std::vector<float> logits(static_cast<size_t>((n_ctx - first) * V)), ref_logits;
  if (o.reference) ref_logits.resize(logits.size());
  std::vector<int32_t> batch(static_cast<size_t>(n_ctx));
  EvalResult r;
  for (int64_t c = 0; c < n_chunk; ++c) {
    std::copy(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx, batch.begin());
    if (o.add_bos && o.bos >= 0) batch[0] = o.bos;
    ctx.reset();
    ctx.forward(batch.data(), n_ctx, first, logits.data(), o.cancel);
    check_finite(model, logits.data(), static_cast<int64_t>(logits.size()));
    if (ref_ctx) {
      ref_ctx->reset();
      ref_ctx->forward(batch.data(), n_ctx, first, ref_logits.data(), o.cancel);
    }
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      const float* lg = logits.data() + (j - first) * V;
      const int32_t target = tokens[c * n_ctx + j + 1];
      const LogSum ls = log_sum_exp(lg, V);
      const double nll = -(static_cast<double>(lg[target] - ls.max) - ls.log_sum);
      r.nll += nll;
      r.nll2 += nll * nll;
      ++r.count;
      if (ref_ctx) {
        const float* rl = ref_logits.data() + (j - first) * V;
        const LogSum rs = log_sum_exp(rl, V);
        r.ref_nll += -(static_cast<double>(rl[target] - rs.max) - rs.log_sum);
        double kl = 0;
        for (int64_t v = 0; v < V; ++v) {
          const double lp_ref = static_cast<double>(rl[v] - rs.max) - rs.log_sum;
          const double lp = static_cast<double>(lg[v] - ls.max) - ls.log_sum;
          kl += std::exp(lp_ref) * (lp_ref - lp);
        }
        r.kl += kl;
        r.kl2 += kl * kl;
        r.top1 += argmax(lg, V) == argmax(rl, V);
      }
    }
    r.chunks = c + 1;
    if (o.progress) o.progress(c + 1, n_chunk);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<float> sequence_logits(const Model& model, const std::vector<int32_t>& tokens, int threads) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return {};
  ThreadPool pool(threads);
  Context ctx(model, n, pool);
  std::vector<float> out(static_cast<size_t>(n * model.hp().n_vocab));
  ctx.forward(tokens.data(), n, 0, out.data());
  check_finite(model, out.data(), static_cast<int64_t>(out.size()));
  return out;
}

}  // namespace lowbit
