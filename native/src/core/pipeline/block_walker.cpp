#include "block_walker.h"

#include <stdexcept>
#include <string>

#include "block_stats.h"

namespace lowbit {
namespace {

int64_t whole_sequences(size_t tokens, int64_t seq_len) {
  const int64_t n = seq_len > 0 ? static_cast<int64_t>(tokens) / seq_len : 0;
  if (seq_len < 2 || n < 1) throw std::runtime_error("no complete calibration sequence of " + std::to_string(seq_len) + " tokens");
  return n;
}

}  // namespace

BlockWalker::BlockWalker(const Model& m, const std::vector<int32_t>& tokens, const WalkOptions& o, WalkUnits units)
    : m_(m), o_(o), units_(units), n_seq_(whole_sequences(tokens.size(), o.seq_len)), pool_(o.threads), ctx_(m, o.seq_len, pool_, 1) {
  tokens_.assign(tokens.begin(), tokens.begin() + n_seq_ * o.seq_len);
  acts_ = embed_tokens(m, tokens_.data(), this->tokens());
}

void BlockWalker::check_cancel() const {
  if (o_.cancel && o_.cancel->load()) throw std::runtime_error("cancelled");
}

void BlockWalker::report(double done) const {
  if (o_.progress) o_.progress(done, total());
}

void BlockWalker::run_block(int64_t l, const LayerWeights& weights, float* x, ActivationObserver* observer) {
  ctx_.set_observer(observer);
  ctx_.reset();
  ctx_.run_layer(l, weights, x, o_.seq_len);
  ctx_.set_observer(nullptr);
}

void BlockWalker::for_each_sequence(double unit, const std::function<void(int64_t)>& fn) {
  for (int64_t s = 0; s < n_seq_; ++s) {
    check_cancel();
    fn(s);
    report(unit + static_cast<double>(s + 1) / n_seq_);
  }
}

void BlockWalker::for_each_block(const std::function<void(int64_t, const LayerWeights&)>& step) {
  const auto& layers = m_.layers();
  for (int64_t l = 0; l < m_.hp().n_layer; ++l) {
    check_cancel();
    step(l, layers[l]);
    // the previous block again: the kernel maps neighbouring pages in on a fault (fault-around)
    release_block_pages(layers[l]);
    if (l > 0) release_block_pages(layers[l - 1]);
  }
}

void BlockWalker::for_output(const std::function<void(const Weight&)>& step) {
  const Weight& out = m_.output();
  if (out.data == m_.token_embd().data) return;
  check_cancel();
  step(out);
  release_weight_pages(out);
}

std::vector<double> BlockWalker::output_hessian() { return lowbit::output_hessian(m_, acts_.data(), tokens(), pool_); }

}  // namespace lowbit
