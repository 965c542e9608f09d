// The last error message of the CUDA entry points (per host thread).
#include <string>

#include "common.cuh"
#include "lowbit_cuda.h"

namespace lowbit::cuda {
namespace {
thread_local std::string last_error;
}
void set_error(const std::string& message) { last_error = message; }
}  // namespace lowbit::cuda

extern "C" const char* lowbit_cuda_error(void) { return lowbit::cuda::last_error.c_str(); }
