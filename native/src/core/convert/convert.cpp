#include "lowbit/convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "lowbit/formats.h"
#include "file_io.h"

namespace lowbit {

void check_finite(const float* x, int64_t rows, int64_t ne0, int64_t first_row, const std::string& name) {
  for (int64_t i = 0; i < rows * ne0; ++i) {
    if (!std::isfinite(x[i]))
      throw std::runtime_error("tensor " + name + " has a non-finite weight (" + (std::isnan(x[i]) ? "NaN" : "Inf") +
                               ") at row " + std::to_string(first_row + i / ne0) + ", column " + std::to_string(i % ne0));
  }
}

void convert_tensors(const std::string& out_path, const std::vector<ConvertJob>& jobs, const ConvertOptions& options) {
  Fd out(out_path, O_WRONLY);
  std::unique_ptr<ThreadPool> own_pool = options.pool ? nullptr : std::make_unique<ThreadPool>(std::max(1, options.threads));
  ThreadPool& pool = options.pool ? *options.pool : *own_pool;
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

    const int64_t rows_per_chunk = std::max<int64_t>(1, static_cast<int64_t>(options.chunk_bytes / (job.ne0 * 4)));
    std::vector<uint8_t> in(src_row * std::min(rows_per_chunk, job.nrows));
    std::vector<float> f32(static_cast<size_t>(job.ne0) * std::min(rows_per_chunk, job.nrows));
    std::vector<uint8_t> q(dst_row * std::min(rows_per_chunk, job.nrows));
    const float* imp = job.importance.empty() ? nullptr : job.importance.data();
    for (int64_t r0 = 0; r0 < job.nrows; r0 += rows_per_chunk) {
      if (options.cancel && options.cancel->load()) throw std::runtime_error("cancelled");
      const int64_t rows = std::min(rows_per_chunk, job.nrows - r0);
      if (job.row_order.empty()) {
        read_exact(src.get(), in.data(), src_row * rows, job.src_offset + src_row * r0, "tensor " + job.name);
      } else {
        for (int64_t r = 0; r < rows; ++r)
          read_exact(src.get(), in.data() + src_row * r, src_row, job.src_offset + src_row * job.row_order[r0 + r], "tensor " + job.name);
      }
      // each range's failure kept, so that the first row's is the one reported
      std::vector<std::exception_ptr> errors(static_cast<size_t>(pool.size()));
      pool.parallel_for(rows, [&](int worker, int64_t a, int64_t b) {
        if (a == b) return;
        try {
          for (int64_t r = a; r < b; ++r) dequantize_row(*src_t, in.data() + src_row * r, f32.data() + job.ne0 * r, job.ne0);
          check_finite(f32.data() + job.ne0 * a, b - a, job.ne0, r0 + a, job.name);
          quantize_rows(*dst_t, f32.data() + job.ne0 * a, q.data() + dst_row * a, b - a, job.ne0, imp);
        } catch (...) {
          errors[static_cast<size_t>(worker)] = std::current_exception();
        }
      });
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
      write_exact(out.get(), q.data(), dst_row * rows, job.dst_offset + dst_row * r0, "tensor " + job.name);
      done += static_cast<uint64_t>(rows * job.ne0) * 4u;
      if (options.progress) options.progress(done, total);
    }
  }
  if (::fsync(out.get()) != 0) throw std::runtime_error(std::string("fsync of ") + out_path + " failed: " + std::strerror(errno));
}

}  // namespace lowbit
