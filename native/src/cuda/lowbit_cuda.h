// CUDA kernels of the engine: Hessian (XᵀX) accumulation, GPTQ with a fused column-block kernel,
// and the dequantize-matmul product of evaluation. Built only when nvcc is found
// (`npm run build:cuda`, LOWBIT_CUDA=ON); the default build of the addon does not include them.
// Every function returns 0 on success and a negative code on failure; lowbit_cuda_error() tells why.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

extern "C" {

enum LowbitCudaType { LOWBIT_CUDA_Q4_0 = 2, LOWBIT_CUDA_Q8_0 = 8 };  // ggml type ids

const char* lowbit_cuda_error(void);

/** h (cols × cols, fp64, device) += xᵀx for x (tokens × cols, f32, device), products summed in fp64. */
int lowbit_cuda_hessian_accumulate(double* h, const float* x, int tokens, int cols, cudaStream_t stream);

/** y (tokens × rows) = x (tokens × cols) · Wᵀ, W rows × cols in ggml blocks of `type` (all device pointers). */
int lowbit_cuda_dequant_matmul(int type, const void* w, int rows, int cols, const float* x, int tokens, float* y,
                               cudaStream_t stream);

struct LowbitCudaGptqTimes {
  double factor_seconds;  // damping, Cholesky, inverse
  double update_seconds;  // column blocks and trailing updates
};

/** GPTQ of W (rows × cols, host, f32) with H (cols × cols, host, fp64, already normalised) into ggml blocks of
 *  `type` (host, rows · cols / 32 blocks). damp: λ·mean(diag H) is added to the diagonal. */
int lowbit_cuda_gptq(int type, const float* w, int rows, int cols, const double* h, double damp, uint8_t* out,
                     LowbitCudaGptqTimes* times);
}
