// Shared device helpers of the CUDA kernels.
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime.h>

namespace lowbit::cuda {

void set_error(const std::string& message);

#define LOWBIT_CUDA_CHECK(call)                                                            \
  do {                                                                                     \
    const cudaError_t err_ = (call);                                                       \
    if (err_ != cudaSuccess) {                                                             \
      ::lowbit::cuda::set_error(std::string(#call) + ": " + cudaGetErrorString(err_));     \
      return -1;                                                                           \
    }                                                                                      \
  } while (0)

// IEEE half bits to float, exactly (subnormals included).
__device__ inline float half_bits_to_float(uint32_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu;
  uint32_t m = h & 0x3ffu;
  if (e == 0) {
    if (m == 0) return __uint_as_float(sign);
    int k = 0;
    do { m <<= 1; ++k; } while (!(m & 0x400u));
    return __uint_as_float(sign | ((127u - 15u - (k - 1)) << 23) | ((m & 0x3ffu) << 13));
  }
  if (e == 0x1f) return __uint_as_float(sign | 0x7f800000u | (m << 13));
  return __uint_as_float(sign | ((e + 127u - 15u) << 23) | (m << 13));
}

// Round to nearest even, as the C++ reference fp32_to_fp16.
__device__ inline uint16_t float_to_half_bits(float f) {
  const uint32_t x = __float_as_uint(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (a < 0x38800000u) {
    if (a < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u, shift = 126 - e;
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = a - 0x38000000u;
  const uint32_t rem = r & 0x1fffu;
  r >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

__device__ inline uint32_t load_u16(const uint8_t* p) { return p[0] | (static_cast<uint32_t>(p[1]) << 8); }

constexpr int QK = 32;

}  // namespace lowbit::cuda
