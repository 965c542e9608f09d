#include "forward.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "matmul.h"

namespace lowbit {
namespace {

// ggml's RMS norm: mean of squares in double, then y = x · (1/sqrt(mean + eps)) · w.
void rms_norm(const float* x, const Weight& w, int64_t n, float eps, float* y, std::vector<float>& wbuf) {
  wbuf.resize(static_cast<size_t>(n));
  dequantize_row(*w.type, w.row(0), wbuf.data(), n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * wbuf[i];
}

void add_bias(float* y, const Weight& b, int64_t n_tok, int64_t dim) {
  if (!b.data) return;
  std::vector<float> bias(static_cast<size_t>(dim));
  dequantize_row(*b.type, b.row(0), bias.data(), dim);
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] += bias[i];
}

// RoPE on each head of `x` (n_tok × heads × head_dim) at positions pos0 + t, with ggml's
// iterated theta (theta *= theta_scale per pair) in float.
void rope(float* x, int64_t n_tok, int64_t heads, int64_t head_dim, int64_t pos0, const Hparams& hp) {
  const int64_t n_dims = hp.rope_dim;
  const float theta_scale = std::pow(hp.rope_base, -2.0f / static_cast<float>(n_dims));
  std::vector<float> cs(static_cast<size_t>(n_dims));
  for (int64_t t = 0; t < n_tok; ++t) {
    float theta = static_cast<float>(pos0 + t);
    for (int64_t i = 0; i < n_dims; i += 2) {
      const float th = hp.rope_freq_scale * theta;
      cs[i] = std::cos(th);
      cs[i + 1] = std::sin(th);
      theta *= theta_scale;
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * head_dim;
      for (int64_t i = 0; i < n_dims; i += 2) {
        const int64_t a = hp.rope_neox ? i / 2 : i;
        const int64_t b = hp.rope_neox ? i / 2 + n_dims / 2 : i + 1;
        const float x0 = v[a], x1 = v[b];
        v[a] = x0 * cs[i] - x1 * cs[i + 1];
        v[b] = x0 * cs[i + 1] + x1 * cs[i];
      }
    }
  }
}

void head_norm(float* x, int64_t rows, const Weight& w, int64_t head_dim, float eps) {
  if (!w.data) return;
  std::vector<float> tmp(static_cast<size_t>(head_dim)), wbuf;
  for (int64_t r = 0; r < rows; ++r) {
    rms_norm(x + r * head_dim, w, head_dim, eps, tmp.data(), wbuf);
    std::copy(tmp.begin(), tmp.end(), x + r * head_dim);
  }
}

}  // namespace

Context::Context(const Model& model, int64_t n_ctx, ThreadPool& pool) : m_(model), pool_(pool), n_ctx_(n_ctx) {
  const Hparams& hp = m_.hp();
  const size_t kv = static_cast<size_t>(hp.n_layer * n_ctx * hp.n_head_kv * hp.head_dim);
  k_cache_.resize(kv);
  v_cache_.resize(kv);
}

void Context::forward(const int32_t* tokens, int64_t n, int64_t logits_from, float* logits, const std::atomic<bool>* cancel) {
  const Hparams& hp = m_.hp();
  if (n <= 0) return;
  if (n_past_ + n > n_ctx_) throw std::runtime_error("the batch does not fit the context of " + std::to_string(n_ctx_) + " tokens");
  const int64_t E = hp.n_embd;
  reserve(n);
  std::vector<float> wbuf;

  const Weight& emb = m_.token_embd();
  for (int64_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= emb.rows)
      throw std::runtime_error("token id " + std::to_string(tokens[t]) + " is outside the vocabulary of " + std::to_string(emb.rows));
    dequantize_row(*emb.type, emb.row(tokens[t]), x_.data() + t * E, E);
  }

  for (int64_t l = 0; l < hp.n_layer; ++l) {
    if (cancel && cancel->load()) throw std::runtime_error("cancelled");
    run_layer(l, m_.layers()[l], x_.data(), n);
  }
  if (cancel && cancel->load()) throw std::runtime_error("cancelled");

  const int64_t nl = n - logits_from;
  if (nl > 0 && logits) {
    for (int64_t t = 0; t < nl; ++t)
      rms_norm(x_.data() + (logits_from + t) * E, m_.output_norm(), E, hp.rms_eps, xn_.data() + t * E, wbuf);
    matmul(pool_, m_.output(), xn_.data(), nl, logits);
  }
  n_past_ += n;
}

void Context::reserve(int64_t n) {
  const Hparams& hp = m_.hp();
  const int64_t E = hp.n_embd, qd = hp.n_head * hp.head_dim, kvd = hp.n_head_kv * hp.head_dim;
  x_.resize(static_cast<size_t>(n * E));
  xn_.resize(x_.size());
  q_.resize(static_cast<size_t>(n * qd));
  k_.resize(static_cast<size_t>(n * kvd));
  v_.resize(k_.size());
  attn_.resize(q_.size());
  gate_.resize(static_cast<size_t>(n * hp.n_ff));
  up_.resize(gate_.size());
  ffn_.resize(x_.size());
}

void Context::run_layer(int64_t l, const LayerWeights& L, float* x, int64_t n) {
  const Hparams& hp = m_.hp();
  if (n_past_ + n > n_ctx_) throw std::runtime_error("the batch does not fit the context of " + std::to_string(n_ctx_) + " tokens");
  const int64_t E = hp.n_embd, qd = hp.n_head * hp.head_dim, kvd = hp.n_head_kv * hp.head_dim;
  if (static_cast<int64_t>(xn_.size()) < n * E) reserve(n);
  std::vector<float> wbuf;
  for (int64_t t = 0; t < n; ++t) rms_norm(x + t * E, L.attn_norm, E, hp.rms_eps, xn_.data() + t * E, wbuf);
  if (observer_) observer_->observe({&L.wq, &L.wk, &L.wv}, xn_.data(), n, E);
  matmul(pool_, L.wq, xn_.data(), n, q_.data());
  matmul(pool_, L.wk, xn_.data(), n, k_.data());
  matmul(pool_, L.wv, xn_.data(), n, v_.data());
  add_bias(q_.data(), L.bq, n, qd);
  add_bias(k_.data(), L.bk, n, kvd);
  add_bias(v_.data(), L.bv, n, kvd);
  head_norm(q_.data(), n * hp.n_head, L.q_norm, hp.head_dim, hp.rms_eps);
  head_norm(k_.data(), n * hp.n_head_kv, L.k_norm, hp.head_dim, hp.rms_eps);
  rope(q_.data(), n, hp.n_head, hp.head_dim, n_past_, hp);
  rope(k_.data(), n, hp.n_head_kv, hp.head_dim, n_past_, hp);
  float* kc = k_cache_.data() + (l * n_ctx_ + n_past_) * kvd;
  float* vc = v_cache_.data() + (l * n_ctx_ + n_past_) * kvd;
  std::copy(k_.begin(), k_.begin() + n * kvd, kc);
  std::copy(v_.begin(), v_.begin() + n * kvd, vc);
  attention(n, l);
  if (observer_) observer_->observe({&L.wo}, attn_.data(), n, qd);
  matmul(pool_, L.wo, attn_.data(), n, ffn_.data());
  for (int64_t i = 0; i < n * E; ++i) x[i] += ffn_[i];

  for (int64_t t = 0; t < n; ++t) rms_norm(x + t * E, L.ffn_norm, E, hp.rms_eps, xn_.data() + t * E, wbuf);
  if (observer_) observer_->observe({&L.gate, &L.up}, xn_.data(), n, E);
  matmul(pool_, L.gate, xn_.data(), n, gate_.data());
  matmul(pool_, L.up, xn_.data(), n, up_.data());
  const size_t nf = static_cast<size_t>(n * hp.n_ff);
  for (size_t i = 0; i < nf; ++i) {
    const float g = gate_[i];
    gate_[i] = (g / (1.0f + std::exp(-g))) * up_[i];
  }
  if (observer_) observer_->observe({&L.down}, gate_.data(), n, hp.n_ff);
  matmul(pool_, L.down, gate_.data(), n, ffn_.data());
  for (int64_t i = 0; i < n * E; ++i) x[i] += ffn_[i];
}

// Causal grouped-query attention of the batch's queries over every cached position.
void Context::attention(int64_t n, int64_t layer) {
  const Hparams& hp = m_.hp();
  const int64_t hd = hp.head_dim, kvd = hp.n_head_kv * hd, qd = hp.n_head * hd;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* kc = k_cache_.data() + layer * n_ctx_ * kvd;
  const float* vc = v_cache_.data() + layer * n_ctx_ * kvd;
  pool_.parallel_for(hp.n_head * n, [&](int, int64_t a, int64_t b) {
    std::vector<float> p(static_cast<size_t>(n_past_ + n));
    for (int64_t job = a; job < b; ++job) {
      const int64_t h = job / n, t = job % n;
      const int64_t kvh = h / group;
      const int64_t last = n_past_ + t;  // attends to positions 0..last
      const float* q = q_.data() + t * qd + h * hd;
      float max = -INFINITY;
      for (int64_t j = 0; j <= last; ++j) {
        p[j] = dot(q, kc + j * kvd + kvh * hd, hd) * scale;
        max = std::max(max, p[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j <= last; ++j) {
        p[j] = std::exp(p[j] - max);
        sum += p[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* out = attn_.data() + t * qd + h * hd;
      std::fill(out, out + hd, 0.f);
      for (int64_t j = 0; j <= last; ++j) {
        const float w = p[j] * inv;
        const float* v = vc + j * kvd + kvh * hd;
        for (int64_t i = 0; i < hd; ++i) out[i] += w * v[i];
      }
    }
  });
}

}  // namespace lowbit
