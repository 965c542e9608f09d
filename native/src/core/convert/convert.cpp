#include "lowbit/convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "lowbit/formats.h"
#include "lowbit/gptq.h"
#include "lowbit/grid.h"

namespace lowbit {
namespace {

class Fd {
 public:
  Fd(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void read_exact(int fd, void* buf, size_t n, uint64_t offset, const std::string& what) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw std::runtime_error(what + ": read failed" + (r < 0 ? std::string(": ") + std::strerror(errno) : std::string(": unexpected end of file")));
    p += r; n -= static_cast<size_t>(r); offset += static_cast<uint64_t>(r);
  }
}

void write_exact(int fd, const void* buf, size_t n, uint64_t offset, const std::string& what) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error(what + ": write failed: " + (w < 0 ? std::strerror(errno) : "no space written") +
                                         (errno == ENOSPC ? " (the disk is full)" : ""));
    p += w; n -= static_cast<size_t>(w); offset += static_cast<uint64_t>(w);
  }
}

// Splits [0, n) across up to `threads` workers and rethrows the first failure.
template <typename Fn>
void parallel_rows(int64_t n, int threads, Fn fn) {
  const int t = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  if (t == 1) { fn(0, n); return; }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  for (int i = 0; i < t; ++i) {
    pool.emplace_back([&, i] {
      try { fn(n * i / t, n * (i + 1) / t); } catch (...) { errors[i] = std::current_exception(); }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) if (e) std::rethrow_exception(e);
}

void check_finite(const float* x, int64_t rows, int64_t ne0, int64_t first_row, const std::string& name) {
  for (int64_t i = 0; i < rows * ne0; ++i) {
    if (!std::isfinite(x[i]))
      throw std::runtime_error("tensor " + name + " has a non-finite weight (" + (std::isnan(x[i]) ? "NaN" : "Inf") +
                               ") at row " + std::to_string(first_row + i / ne0) + ", column " + std::to_string(i % ne0));
  }
}

}  // namespace

void convert_tensors(const std::string& out_path, const std::vector<ConvertJob>& jobs, const ConvertOptions& options) {
  Fd out(out_path, O_WRONLY);
  uint64_t total = 0;
  for (const auto& j : jobs) total += static_cast<uint64_t>(j.ne0 * j.nrows) * 4u;
  uint64_t done = 0;
  for (const auto& job : jobs) {
    const TypeTraits* src_t = find_type(job.src_type);
    const TypeTraits* dst_t = find_type(job.dst_type);
    if (!src_t) throw std::runtime_error("tensor " + job.name + ": unknown source type " + job.src_type);
    if (!dst_t) throw std::runtime_error("tensor " + job.name + ": unknown target type " + job.dst_type);
    if (job.ne0 <= 0 || job.nrows <= 0) throw std::runtime_error("tensor " + job.name + ": empty shape");
    if (job.ne0 % dst_t->block_size != 0)
      throw std::runtime_error("tensor " + job.name + ": row width " + std::to_string(job.ne0) + " is not a multiple of " +
                               dst_t->name + "'s block size " + std::to_string(dst_t->block_size));
    if (!job.importance.empty() && job.importance.size() != static_cast<size_t>(job.ne0))
      throw std::runtime_error("tensor " + job.name + ": importance has " + std::to_string(job.importance.size()) +
                               " values for rows of " + std::to_string(job.ne0));
    if (!job.row_order.empty()) {
      if (job.row_order.size() != static_cast<size_t>(job.nrows))
        throw std::runtime_error("tensor " + job.name + ": row order has the wrong length");
      for (int64_t r : job.row_order)
        if (r < 0 || r >= job.nrows) throw std::runtime_error("tensor " + job.name + ": row order points outside the tensor");
    }
    const size_t src_row = row_size(*src_t, job.ne0);
    const size_t dst_row = row_size(*dst_t, job.ne0);
    Fd src(job.src_file, O_RDONLY);
    struct stat st {};
    if (fstat(src.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) < job.src_offset + src_row * job.nrows)
      throw std::runtime_error("tensor " + job.name + ": its data runs past the end of " + job.src_file);

    if (!job.hessian.empty()) {
      if (job.hessian.size() != static_cast<size_t>(job.ne0 * job.ne0))
        throw std::runtime_error("tensor " + job.name + ": the Hessian is not " + std::to_string(job.ne0) + " × " + std::to_string(job.ne0));
      if (!job.row_order.empty()) throw std::runtime_error("tensor " + job.name + ": GPTQ with a row permutation is not supported");
    }
    const bool gptq = !job.hessian.empty() && find_grid(dst_t->type) != nullptr;
    // GPTQ needs the whole matrix at once; plain conversion streams it in chunks
    const int64_t rows_per_chunk = gptq ? job.nrows : std::max<int64_t>(1, static_cast<int64_t>(options.chunk_bytes / (job.ne0 * 4)));
    std::vector<float> diag_importance;
    if (!job.hessian.empty() && !gptq) {
      diag_importance.resize(static_cast<size_t>(job.ne0));
      for (int64_t j = 0; j < job.ne0; ++j) diag_importance[j] = static_cast<float>(job.hessian[j * job.ne0 + j]);
    }
    std::vector<uint8_t> in(src_row * std::min(rows_per_chunk, job.nrows));
    std::vector<float> f32(static_cast<size_t>(job.ne0) * std::min(rows_per_chunk, job.nrows));
    std::vector<uint8_t> q(dst_row * std::min(rows_per_chunk, job.nrows));
    const float* imp = !diag_importance.empty() ? diag_importance.data() : job.importance.empty() ? nullptr : job.importance.data();
    for (int64_t r0 = 0; r0 < job.nrows; r0 += rows_per_chunk) {
      if (options.cancel && options.cancel->load()) throw std::runtime_error("cancelled");
      const int64_t rows = std::min(rows_per_chunk, job.nrows - r0);
      if (job.row_order.empty()) {
        read_exact(src.get(), in.data(), src_row * rows, job.src_offset + src_row * r0, "tensor " + job.name);
      } else {
        for (int64_t r = 0; r < rows; ++r)
          read_exact(src.get(), in.data() + src_row * r, src_row, job.src_offset + src_row * job.row_order[r0 + r], "tensor " + job.name);
      }
      parallel_rows(rows, options.threads, [&](int64_t a, int64_t b) {
        for (int64_t r = a; r < b; ++r) dequantize_row(*src_t, in.data() + src_row * r, f32.data() + job.ne0 * r, job.ne0);
        check_finite(f32.data() + job.ne0 * a, b - a, job.ne0, r0 + a, job.name);
        if (!gptq) quantize_rows(*dst_t, f32.data() + job.ne0 * a, q.data() + dst_row * a, b - a, job.ne0, imp);
      });
      if (gptq) {
        GptqOptions go;
        go.threads = options.threads;
        go.damp = job.damp;
        GptqResult g = gptq_quantize(*dst_t, f32.data(), rows, job.ne0, job.hessian.data(), go);
        std::copy(g.data.begin(), g.data.end(), q.begin());
        if (options.on_gptq) options.on_gptq(job.name, g.damp);
      }
      write_exact(out.get(), q.data(), dst_row * rows, job.dst_offset + dst_row * r0, "tensor " + job.name);
      done += static_cast<uint64_t>(rows * job.ne0) * 4u;
      if (options.progress) options.progress(done, total);
    }
  }
  if (::fsync(out.get()) != 0) throw std::runtime_error(std::string("fsync of ") + out_path + " failed: " + std::strerror(errno));
}

}  // namespace lowbit
