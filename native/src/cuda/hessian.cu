// XᵀX accumulation: a 64×64 tile of H per block of 16×16 threads (4×4 each), tokens staged in
// shared memory 16 at a time, products and sums in fp64 (as the CPU's hessian_accumulate).
// Only tiles on or above the diagonal are computed; a second kernel mirrors them.
#include "common.cuh"
#include "lowbit_cuda.h"

namespace lowbit::cuda {
namespace {

constexpr int TILE = 64;
constexpr int SLICE = 16;

__global__ void xtx_upper(double* h, const float* x, int tokens, int cols) {
  if (blockIdx.y < blockIdx.x) return;
  const int i0 = blockIdx.x * TILE, j0 = blockIdx.y * TILE;
  const int tx = threadIdx.x, ty = threadIdx.y, lin = ty * 16 + tx;
  __shared__ float xi[SLICE][TILE];
  __shared__ float xj[SLICE][TILE];
  double acc[4][4] = {};
  for (int t0 = 0; t0 < tokens; t0 += SLICE) {
    for (int k = lin; k < SLICE * TILE; k += 256) {
      const int tt = k / TILE, cc = k % TILE, t = t0 + tt;
      xi[tt][cc] = (t < tokens && i0 + cc < cols) ? x[static_cast<int64_t>(t) * cols + i0 + cc] : 0.f;
      xj[tt][cc] = (t < tokens && j0 + cc < cols) ? x[static_cast<int64_t>(t) * cols + j0 + cc] : 0.f;
    }
    __syncthreads();
#pragma unroll 4
    for (int tt = 0; tt < SLICE; ++tt) {
      double a[4], b[4];
      for (int q = 0; q < 4; ++q) { a[q] = xi[tt][ty * 4 + q]; b[q] = xj[tt][tx * 4 + q]; }
      for (int p = 0; p < 4; ++p)
        for (int q = 0; q < 4; ++q) acc[p][q] += a[p] * b[q];
    }
    __syncthreads();
  }
  for (int p = 0; p < 4; ++p) {
    const int i = i0 + ty * 4 + p;
    for (int q = 0; q < 4; ++q) {
      const int j = j0 + tx * 4 + q;
      if (i < cols && j < cols && j >= i) h[static_cast<int64_t>(i) * cols + j] += acc[p][q];
    }
  }
}

__global__ void mirror_lower(double* h, int cols) {
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < cols && j < i) h[static_cast<int64_t>(i) * cols + j] = h[static_cast<int64_t>(j) * cols + i];
}

}  // namespace
}  // namespace lowbit::cuda

extern "C" int lowbit_cuda_hessian_accumulate(double* h, const float* x, int tokens, int cols, cudaStream_t stream) {
  using namespace lowbit::cuda;
  if (tokens < 0 || cols <= 0) {
    set_error("hessian_accumulate: tokens must be >= 0 and cols > 0");
    return -2;
  }
  if (tokens == 0) return 0;
  const int tiles = (cols + TILE - 1) / TILE;
  xtx_upper<<<dim3(tiles, tiles), dim3(16, 16), 0, stream>>>(h, x, tokens, cols);
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  mirror_lower<<<dim3((cols + 15) / 16, (cols + 15) / 16), dim3(16, 16), 0, stream>>>(h, cols);
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  return 0;
}
