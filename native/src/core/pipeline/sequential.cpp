#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>

#include "../convert/file_io.h"
#include "../engine/forward.h"
#include "../engine/mapped_file.h"
#include "lowbit/grid.h"
#include "lowbit/linalg.h"
#include "lowbit/pipeline.h"

namespace lowbit {
namespace {

using Clock = std::chrono::steady_clock;

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
  HessianCapture(const std::vector<int64_t>& dims, int threads, const InputRecorder* original, ThreadPool& pool)
      : dims_(dims), threads_(threads), original_(original), pool_(pool) {
    for (int i = 0; i < kInputs; ++i) {
      h_[i].assign(static_cast<size_t>(dims[i] * dims[i]), 0.0);
      if (original_) delta_[i].assign(h_[i].size(), 0.0);
    }
  }

  void observe(const std::vector<const Weight*>&, const float* x, int64_t n, int64_t dim) override {
    const int i = next_++ % kInputs;
    if (dim != dims_[i]) throw std::logic_error("pipeline: unexpected input width");
    hessian_accumulate(h_[i].data(), x, n, dim, threads_);
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
  int threads_;
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
constexpr Slot kSlots[] = {
    {&LayerWeights::wq, kAttnIn}, {&LayerWeights::wk, kAttnIn},  {&LayerWeights::wv, kAttnIn},   {&LayerWeights::wo, kAttnOut},
    {&LayerWeights::gate, kFfnIn}, {&LayerWeights::up, kFfnIn}, {&LayerWeights::down, kFfnMid},
};

class Pipeline {
 public:
  Pipeline(const Model& m, const std::vector<int32_t>& tokens, const std::vector<ConvertJob>& jobs, const std::string& out_path,
           const PipelineOptions& o)
      : m_(m), hp_(m.hp()), o_(o), out_path_(out_path), out_(out_path, O_WRONLY), pool_(o.threads), ctx_(m, o.seq_len, pool_) {
    n_seq_ = static_cast<int64_t>(tokens.size()) / o.seq_len;
    if (o.seq_len < 2 || n_seq_ < 1) throw std::runtime_error("no complete calibration sequence of " + std::to_string(o.seq_len) + " tokens");
    for (const auto& j : jobs) jobs_[j.name] = &j;
    embed(tokens);
    if (o.qep) original_ = acts_;
  }

  PipelineResult run(const std::vector<ConvertJob>& jobs) {
    const double total = 3.0 * static_cast<double>(hp_.n_layer) + 2.0;
    std::map<std::string, bool> done;
    for (int64_t l = 0; l < hp_.n_layer; ++l) {
      const LayerWeights& src = m_.layers()[l];
      HessianCapture stats({hp_.n_embd, hp_.n_head * hp_.head_dim, hp_.n_embd, hp_.n_ff}, o_.threads, o_.qep ? &recorder_ : nullptr, pool_);
      capture(l, src, stats, 3.0 * l, total);
      LayerWeights quantized = src;
      std::vector<std::vector<uint8_t>> store(std::size(kSlots));
      for (size_t k = 0; k < std::size(kSlots); ++k) {
        check_cancel();
        const Weight& w = src.*kSlots[k].member;
        const ConvertJob& job = job_for(w);
        quantize(job, w, l, stats.hessian(kSlots[k].input), stats.delta(kSlots[k].input), stats.tokens(), store[k], quantized.*kSlots[k].member);
        done[job.name] = true;
        report(3.0 * l + 1.0 + static_cast<double>(k + 1) / std::size(kSlots), total);
      }
      propagate(l, quantized, 3.0 * l + 2.0, total);
      for (const Slot& s : kSlots) release(src.*s.member);
    }
    quantize_output(done, total);
    std::vector<ConvertJob> rest;
    for (const auto& j : jobs)
      if (!done.count(j.name)) rest.push_back(j);
    ConvertOptions co;
    co.threads = o_.threads;
    co.cancel = o_.cancel;
    convert_tensors(out_path_, rest, co);  // fsyncs the file
    if (::fsync(out_.get()) != 0) throw std::runtime_error("fsync of " + out_path_ + " failed: " + std::strerror(errno));
    report(total, total);
    result_.tokens = n_seq_ * o_.seq_len;
    result_.sequences = n_seq_;
    return std::move(result_);
  }

 private:
  void check_cancel() const {
    if (o_.cancel && o_.cancel->load()) throw std::runtime_error("cancelled");
  }
  void report(double done, double total) const {
    if (o_.progress) o_.progress(done, total);
  }

  void embed(const std::vector<int32_t>& tokens) {
    const Weight& emb = m_.token_embd();
    const int64_t E = hp_.n_embd, n = n_seq_ * o_.seq_len;
    acts_.resize(static_cast<size_t>(n * E));
    for (int64_t t = 0; t < n; ++t) {
      if (tokens[t] < 0 || tokens[t] >= emb.rows)
        throw std::runtime_error("token id " + std::to_string(tokens[t]) + " is outside the vocabulary of " + std::to_string(emb.rows));
      dequantize_row(*emb.type, emb.row(tokens[t]), acts_.data() + t * E, E);
    }
  }

  float* sequence(std::vector<float>& acts, int64_t s) { return acts.data() + s * o_.seq_len * hp_.n_embd; }

  // Runs the block with its original weights on the current (quantized-model) activations.
  void capture(int64_t l, const LayerWeights& src, HessianCapture& stats, double base, double total) {
    std::vector<float> scratch(static_cast<size_t>(o_.seq_len * hp_.n_embd));
    for (int64_t s = 0; s < n_seq_; ++s) {
      check_cancel();
      if (o_.qep) {  // the original model's own inputs, advancing its stream
        recorder_.rewind();
        ctx_.set_observer(&recorder_);
        ctx_.reset();
        ctx_.run_layer(l, src, sequence(original_, s), o_.seq_len);
      }
      std::copy_n(sequence(acts_, s), scratch.size(), scratch.begin());
      ctx_.set_observer(&stats);
      ctx_.reset();
      ctx_.run_layer(l, src, scratch.data(), o_.seq_len);
      report(base + static_cast<double>(s + 1) / n_seq_, total);
    }
    ctx_.set_observer(nullptr);
  }

  // Runs the block with its quantized weights: the next block's inputs.
  void propagate(int64_t l, const LayerWeights& quantized, double base, double total) {
    for (int64_t s = 0; s < n_seq_; ++s) {
      check_cancel();
      ctx_.reset();
      ctx_.run_layer(l, quantized, sequence(acts_, s), o_.seq_len);
      report(base + static_cast<double>(s + 1) / n_seq_, total);
    }
  }

  const ConvertJob& job_for(const Weight& w) const {
    auto it = jobs_.find(w.name);
    if (it == jobs_.end()) throw std::runtime_error("tensor " + w.name + " is not among the tensors to write");
    return *it->second;
  }

  void quantize(const ConvertJob& job, const Weight& w, int64_t layer, const std::vector<double>& h, const double* hdelta, int64_t tokens,
                std::vector<uint8_t>& bytes, Weight& view) {
    const auto t0 = Clock::now();
    const TypeTraits* dst = find_type(job.dst_type);
    if (!dst) throw std::runtime_error("tensor " + job.name + ": unknown target type " + job.dst_type);
    if (job.ne0 != w.ne0 || job.nrows != w.rows) throw std::runtime_error("tensor " + job.name + ": the output shape differs from the model's");
    if (w.ne0 % dst->block_size != 0)
      throw std::runtime_error("tensor " + job.name + ": row width " + std::to_string(w.ne0) + " is not a multiple of " + dst->name +
                               "'s block size " + std::to_string(dst->block_size));
    std::vector<float> W(static_cast<size_t>(w.rows * w.ne0));
    for (int64_t r = 0; r < w.rows; ++r) dequantize_row(*w.type, w.row(r), W.data() + r * w.ne0, w.ne0);
    for (size_t i = 0; i < W.size(); ++i)
      if (!std::isfinite(W[i]))
        throw std::runtime_error("tensor " + job.name + " has a non-finite weight at row " + std::to_string(i / w.ne0) + ", column " +
                                 std::to_string(i % w.ne0));

    PipelineTensorReport rep;
    rep.name = job.name;
    rep.type = dst->name;
    rep.layer = layer;
    rep.tokens = tokens;
    const double hscale = tokens > 0 ? 2.0 / static_cast<double>(tokens) : 1.0;
    if (dst->is_quantized && find_grid(dst->type)) {
      GptqOptions go = o_.gptq;
      go.threads = o_.threads;
      go.samples = tokens;
      go.measure = o_.measure;
      go.cancel = o_.cancel;
      go.progress = nullptr;
      go.qep.hdelta = hdelta;
      GptqResult g = gptq_quantize(*dst, W.data(), w.rows, w.ne0, h.data(), go);
      bytes = std::move(g.data);
      rep.gptq = true;
      rep.error = g.error;
      rep.rtn_error = g.rtn_error;
      rep.damp = g.damp;
      rep.qep_lambda = g.qep_lambda;
      rep.dead_columns = g.dead_columns;
    } else {
      std::vector<float> importance(static_cast<size_t>(w.ne0));
      for (int64_t j = 0; j < w.ne0; ++j) {
        importance[j] = static_cast<float>(h[j * w.ne0 + j]);
        rep.dead_columns += importance[j] == 0;
      }
      bytes.resize(row_size(*dst, w.ne0) * w.rows);
      quantize_rows(*dst, W.data(), bytes.data(), w.rows, w.ne0, dst->is_quantized ? importance.data() : nullptr);
      if (o_.measure) rep.error = rep.rtn_error = hscale * weighted_error(*dst, W.data(), w.rows, w.ne0, h.data(), bytes.data(), o_.threads);
    }
    write_rows(job, *dst, bytes);
    view.type = dst;
    view.data = bytes.data();
    view.row_bytes = row_size(*dst, w.ne0);
    rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (o_.on_tensor) o_.on_tensor(rep);
    result_.tensors.push_back(std::move(rep));
  }

  // Rows are quantized in the model's order (GPTQ treats rows independently); the output may
  // permute them (the q/k RoPE layout of Hugging Face sources).
  void write_rows(const ConvertJob& job, const TypeTraits& dst, const std::vector<uint8_t>& bytes) {
    const size_t rb = row_size(dst, job.ne0);
    if (job.row_order.empty()) {
      write_exact(out_.get(), bytes.data(), bytes.size(), job.dst_offset, "tensor " + job.name);
      return;
    }
    if (job.row_order.size() != static_cast<size_t>(job.nrows)) throw std::runtime_error("tensor " + job.name + ": row order has the wrong length");
    std::vector<uint8_t> permuted(bytes.size());
    for (int64_t r = 0; r < job.nrows; ++r) {
      const int64_t from = job.row_order[r];
      if (from < 0 || from >= job.nrows) throw std::runtime_error("tensor " + job.name + ": row order points outside the tensor");
      std::copy_n(bytes.data() + from * rb, rb, permuted.data() + r * rb);
    }
    write_exact(out_.get(), permuted.data(), permuted.size(), job.dst_offset, "tensor " + job.name);
  }

  // output.weight (when not tied to the embedding) sees the final norm of the quantized stream.
  void quantize_output(std::map<std::string, bool>& done, double total) {
    const Weight& out = m_.output();
    if (out.data == m_.token_embd().data || !jobs_.count(out.name)) return;
    const int64_t E = hp_.n_embd, n = n_seq_ * o_.seq_len;
    std::vector<float> normed(static_cast<size_t>(E)), nw(static_cast<size_t>(E)), chunk;
    dequantize_row(*m_.output_norm().type, m_.output_norm().row(0), nw.data(), E);
    std::vector<double> h(static_cast<size_t>(E * E), 0.0);
    for (int64_t s = 0; s < n_seq_; ++s) {
      check_cancel();
      chunk.resize(static_cast<size_t>(o_.seq_len * E));
      const float* x = sequence(acts_, s);
      for (int64_t t = 0; t < o_.seq_len; ++t) {
        double sum = 0;
        for (int64_t i = 0; i < E; ++i) sum += static_cast<double>(x[t * E + i] * x[t * E + i]);
        const float scale = 1.0f / std::sqrt(static_cast<float>(sum / E) + hp_.rms_eps);
        for (int64_t i = 0; i < E; ++i) chunk[t * E + i] = (x[t * E + i] * scale) * nw[i];
      }
      hessian_accumulate(h.data(), chunk.data(), o_.seq_len, E, o_.threads);
    }
    std::vector<uint8_t> bytes;
    Weight view = out;
    quantize(job_for(out), out, -1, h, nullptr, n, bytes, view);
    done[out.name] = true;
    release(out);
    report(total - 1.0, total);
  }

  static void release(const Weight& w) { release_pages(w.data, w.row_bytes * static_cast<size_t>(w.rows)); }

  const Model& m_;
  const Hparams& hp_;
  const PipelineOptions& o_;
  std::string out_path_;
  Fd out_;
  ThreadPool pool_;
  Context ctx_;
  int64_t n_seq_ = 0;
  std::map<std::string, const ConvertJob*> jobs_;
  std::vector<float> acts_, original_;
  InputRecorder recorder_;
  PipelineResult result_;
};

}  // namespace

PipelineResult quantize_sequential(const Model& model, const std::vector<int32_t>& tokens, const std::vector<ConvertJob>& jobs,
                                   const std::string& out_path, const PipelineOptions& options) {
  if (jobs.empty()) throw std::runtime_error("nothing to write");
  return Pipeline(model, tokens, jobs, out_path, options).run(jobs);
}

}  // namespace lowbit
