// Evaluation product y = x·Wᵀ over ggml Q4_0 / Q8_0 weights. A warp owns one weight row and a tile
// of TOK tokens: each lane takes whole 32-element blocks, decodes every weight once, multiplies it
// into the TOK token rows, and the warp reduces with shuffles. Sums are f32.
#include "common.cuh"
#include "lowbit_cuda.h"

namespace lowbit::cuda {
namespace {

constexpr int TOK = 8;
constexpr int WARPS = 4;

template <int kType>
__device__ inline void decode_block(const uint8_t* blk, float* w) {
  const float d = half_bits_to_float(load_u16(blk));
  if constexpr (kType == LOWBIT_CUDA_Q4_0) {
    for (int j = 0; j < QK / 2; ++j) {
      const int b = blk[2 + j];
      w[j] = static_cast<float>((b & 0x0f) - 8) * d;
      w[j + 16] = static_cast<float>((b >> 4) - 8) * d;
    }
  } else {
    for (int j = 0; j < QK; ++j) w[j] = static_cast<float>(static_cast<int8_t>(blk[2 + j])) * d;
  }
}

template <int kType, int kTypeSize>
__global__ void matmul_rows(const uint8_t* wq, int rows, int cols, const float* x, int tokens, float* y) {
  const int lane = threadIdx.x & 31;
  const int r = blockIdx.x * WARPS + (threadIdx.x >> 5);
  const int t0 = blockIdx.y * TOK;
  if (r >= rows) return;
  const int nb = cols / QK;
  const uint8_t* row = wq + static_cast<int64_t>(r) * nb * kTypeSize;
  float acc[TOK] = {};
  float w[QK];
  for (int b = lane; b < nb; b += 32) {
    decode_block<kType>(row + static_cast<int64_t>(b) * kTypeSize, w);
    for (int k = 0; k < TOK; ++k) {
      const int t = t0 + k;
      if (t >= tokens) break;
      const float4* xv = reinterpret_cast<const float4*>(x + static_cast<int64_t>(t) * cols + b * QK);
      float s = 0.f;
#pragma unroll
      for (int q = 0; q < QK / 4; ++q) {
        const float4 v = xv[q];
        s += v.x * w[4 * q] + v.y * w[4 * q + 1] + v.z * w[4 * q + 2] + v.w * w[4 * q + 3];
      }
      acc[k] += s;
    }
  }
  for (int k = 0; k < TOK; ++k) {
    float v = acc[k];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    if (lane == 0 && t0 + k < tokens) y[static_cast<int64_t>(t0 + k) * rows + r] = v;
  }
}

}  // namespace
}  // namespace lowbit::cuda

extern "C" int lowbit_cuda_dequant_matmul(int type, const void* w, int rows, int cols, const float* x, int tokens,
                                          float* y, cudaStream_t stream) {
  using namespace lowbit::cuda;
  if (rows <= 0 || cols <= 0 || tokens < 0 || cols % QK != 0) {
    set_error("dequant_matmul: rows and cols must be positive and cols a multiple of 32");
    return -2;
  }
  if (tokens == 0) return 0;
  const dim3 grid((rows + WARPS - 1) / WARPS, (tokens + TOK - 1) / TOK);
  const auto* wq = static_cast<const uint8_t*>(w);
  switch (type) {
    case LOWBIT_CUDA_Q4_0: matmul_rows<LOWBIT_CUDA_Q4_0, 18><<<grid, 32 * WARPS, 0, stream>>>(wq, rows, cols, x, tokens, y); break;
    case LOWBIT_CUDA_Q8_0: matmul_rows<LOWBIT_CUDA_Q8_0, 34><<<grid, 32 * WARPS, 0, stream>>>(wq, rows, cols, x, tokens, y); break;
    default:
      set_error("dequant_matmul: type " + std::to_string(type) + " has no CUDA kernel (Q4_0 and Q8_0 do)");
      return -3;
  }
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  return 0;
}
