// Streams tensors from a source file into a GGUF data section, converting types block by block:
// read a chunk of rows, expand to F32, quantize, write at the planned offset. Peak memory is one
// chunk per thread, whatever the model's size.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lowbit/thread_pool.h"

namespace lowbit {

struct ConvertJob {
  std::string name;
  std::string src_file;
  uint64_t src_offset = 0;
  std::string src_type;
  int64_t ne0 = 0;    // row width
  int64_t nrows = 0;  // product of the other dimensions
  std::string dst_type;
  uint64_t dst_offset = 0;               // absolute offset in the output file
  std::vector<float> importance;         // empty, or ne0 values
  std::vector<int64_t> row_order;        // empty, or for each output row the source row it takes
};

struct ConvertOptions {
  int threads = 1;
  ThreadPool* pool = nullptr;  // run on this pool instead of starting `threads` threads
  size_t chunk_bytes = 16u << 20;  // F32 bytes per chunk
  const std::atomic<bool>* cancel = nullptr;
  // called after each chunk with (bytes of F32 done, total)
  std::function<void(uint64_t, uint64_t)> progress;
};

// Throws std::runtime_error naming the tensor, row and column of the first NaN or Inf among `rows`
// rows of ne0 values (the first of them being row first_row of the tensor).
void check_finite(const float* x, int64_t rows, int64_t ne0, int64_t first_row, const std::string& name);

// Writes every job into out_path (which must exist; it is opened for writing, never truncated)
// and fsyncs it. Throws std::runtime_error naming the tensor on bad input, non-finite weights,
// write failures (e.g. a full disk) and cancellation.
void convert_tensors(const std::string& out_path, const std::vector<ConvertJob>& jobs, const ConvertOptions& options);

}  // namespace lowbit
