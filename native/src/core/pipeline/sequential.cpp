#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <stdexcept>

#include "../convert/file_io.h"
#include "block_stats.h"
#include "block_walker.h"
#include "lowbit/grid.h"
#include "lowbit/linalg.h"
#include "lowbit/pipeline.h"

namespace lowbit {
namespace {

using Clock = std::chrono::steady_clock;

class Pipeline {
 public:
  Pipeline(const Model& m, const std::vector<int32_t>& tokens, const std::vector<ConvertJob>& jobs, const std::string& out_path,
           const PipelineOptions& o)
      : m_(m), o_(o), out_path_(out_path), out_(out_path, O_WRONLY),
        walk_(m, tokens, WalkOptions{o.threads, o.seq_len, o.cancel, o.progress}, WalkUnits{0, 3, 2}) {
    for (const auto& j : jobs) jobs_[j.name] = &j;
    if (o.qep) original_ = walk_.acts();
  }

  // Per block, three units of progress: capture, quantize, propagate; then output.weight and the
  // other tensors.
  PipelineResult run(const std::vector<ConvertJob>& jobs) {
    std::set<std::string> done;
    walk_.for_each_block([&](int64_t l, const LayerWeights& src) {
      HessianCapture stats(block_input_dims(m_.hp()), o_.qep ? &recorder_ : nullptr, walk_.pool());
      capture(l, src, stats);
      LayerWeights quantized = src;
      std::vector<std::vector<uint8_t>> bytes(std::size(kSlots));  // the quantized tensors, for propagate()
      for (size_t k = 0; k < std::size(kSlots); ++k) {
        walk_.check_cancel();
        const Weight& w = src.*kSlots[k].member;
        const ConvertJob& job = job_for(w);
        quantize(job, w, l, stats.hessian(kSlots[k].input), stats.delta(kSlots[k].input), stats.tokens(), bytes[k], quantized.*kSlots[k].member);
        done.insert(job.name);
        walk_.report(walk_.block_unit(l, 1) + static_cast<double>(k + 1) / std::size(kSlots));
      }
      propagate(l, quantized);
    });
    // output.weight (when not tied to the embedding) sees the final norm of the quantized stream
    walk_.for_output([&](const Weight& out) {
      if (!jobs_.count(out.name)) return;
      std::vector<uint8_t> bytes;
      Weight view = out;
      quantize(job_for(out), out, -1, walk_.output_hessian(), nullptr, walk_.tokens(), bytes, view);
      done.insert(out.name);
    });
    walk_.report(walk_.total() - 1.0);
    std::vector<ConvertJob> rest;
    for (const auto& j : jobs)
      if (!done.count(j.name)) rest.push_back(j);
    ConvertOptions co;
    co.threads = o_.threads;
    co.pool = &walk_.pool();
    co.cancel = o_.cancel;
    convert_tensors(out_path_, rest, co);  // fsyncs the file, with what was written here
    walk_.report(walk_.total());
    result_.tokens = walk_.tokens();
    result_.sequences = walk_.sequences();
    return std::move(result_);
  }

 private:
  // Runs the block with its original weights on the current (quantized-model) activations.
  void capture(int64_t l, const LayerWeights& src, HessianCapture& stats) {
    std::vector<float> scratch(walk_.sequence_floats());
    walk_.for_each_sequence(walk_.block_unit(l, 0), [&](int64_t s) {
      if (o_.qep) {  // the original model's own inputs, advancing its stream
        recorder_.rewind();
        walk_.run_block(l, src, walk_.sequence(original_, s), &recorder_);
      }
      std::copy_n(walk_.sequence(walk_.acts(), s), scratch.size(), scratch.begin());
      walk_.run_block(l, src, scratch.data(), &stats);
    });
  }

  // Runs the block with its quantized weights: the next block's inputs.
  void propagate(int64_t l, const LayerWeights& quantized) {
    walk_.for_each_sequence(walk_.block_unit(l, 2), [&](int64_t s) { walk_.run_block(l, quantized, walk_.sequence(walk_.acts(), s)); });
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
    const std::vector<float> W = weight_values(w);
    check_finite(W.data(), w.rows, w.ne0, 0, job.name);

    PipelineTensorReport rep;
    rep.name = job.name;
    rep.type = dst->name;
    rep.layer = layer;
    rep.tokens = tokens;
    const double hscale = tokens > 0 ? 2.0 / static_cast<double>(tokens) : 1.0;
    if (dst->is_quantized && find_grid(dst->type)) {
      GptqOptions go = o_.gptq;
      go.threads = o_.threads;
      go.pool = &walk_.pool();
      go.samples = tokens;
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
      if (o_.gptq.measure) rep.error = rep.rtn_error = hscale * weighted_error(*dst, W.data(), w.rows, w.ne0, h.data(), bytes.data(), walk_.pool());
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

  const Model& m_;
  const PipelineOptions& o_;
  std::string out_path_;
  Fd out_;
  BlockWalker walk_;
  std::map<std::string, const ConvertJob*> jobs_;
  std::vector<float> original_;
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
