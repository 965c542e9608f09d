// GPTQ on the device for Q4_0 and Q8_0: damping, U = chol(H⁻¹) upper (factor.cu), then blocks of
// 64 columns. The fused column-block kernel gives each thread one weight row: it quantizes the
// block's columns in order with the llama.cpp round-to-nearest grid of each 32-element ggml block
// (scale taken from the updated weights when the loop reaches the block), spreads each column's
// error over the rest of the block with U, writes the ggml bytes and the scaled errors. A tiled
// kernel then applies W[:, end:] -= Err · U[block, end:].
#include <chrono>
#include <vector>

#include "common.cuh"
#include "factor.cuh"
#include "lowbit_cuda.h"

namespace lowbit::cuda {
namespace {

constexpr int BLOCK = 64;    // columns per lazy-update block (two ggml blocks)
constexpr int THREADS = 128;

__global__ void add_damping(double* h, int n, double lambda) {
  __shared__ double part[256];
  double s = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) s += h[static_cast<int64_t>(i) * n + i];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
    __syncthreads();
  }
  const double add = lambda * part[0] / n;
  for (int i = threadIdx.x; i < n; i += blockDim.x) h[static_cast<int64_t>(i) * n + i] += add;
}

__global__ void to_float(const double* a, float* b, int64_t n) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) b[i] = static_cast<float>(a[i]);
}

template <int kType>
struct Grid;

template <>
struct Grid<LOWBIT_CUDA_Q4_0> {
  static constexpr int kTypeSize = 18;
  // ggml's q4_0 scale: the first element of largest magnitude over -8
  __device__ static float scale(const float* x) {
    float a = 0.f, mx = 0.f;
    for (int j = 0; j < QK; ++j)
      if (fabsf(x[j]) > a) { a = fabsf(x[j]); mx = x[j]; }
    return mx / -8.f;
  }
  // clamped: the block's later columns move after its scale is fixed
  __device__ static int code(float x, float id) { return max(0, min(15, static_cast<int>(__fadd_rn(__fmul_rn(x, id), 8.5f)))); }
  __device__ static float value(int q, float d) { return static_cast<float>(q - 8) * d; }
  __device__ static void write(uint8_t* blk, uint16_t d, const int* q) {
    blk[0] = d & 0xff;
    blk[1] = d >> 8;
    for (int j = 0; j < QK / 2; ++j) blk[2 + j] = static_cast<uint8_t>(q[j] | (q[j + 16] << 4));
  }
};

template <>
struct Grid<LOWBIT_CUDA_Q8_0> {
  static constexpr int kTypeSize = 34;
  __device__ static float scale(const float* x) {
    float a = 0.f;
    for (int j = 0; j < QK; ++j) a = fmaxf(a, fabsf(x[j]));
    return a / 127.f;
  }
  __device__ static int code(float x, float id) { return max(-127, min(127, static_cast<int>(roundf(__fmul_rn(x, id))))); }
  __device__ static float value(int q, float d) { return static_cast<float>(q) * d; }
  __device__ static void write(uint8_t* blk, uint16_t d, const int* q) {
    blk[0] = d & 0xff;
    blk[1] = d >> 8;
    for (int j = 0; j < QK; ++j) blk[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(q[j]));
  }
};

template <int kType>
__global__ void gptq_block(float* w, int rows, int cols, int c0, const float* u, float* err, uint8_t* out) {
  using G = Grid<kType>;
  __shared__ float ub[BLOCK][BLOCK + 1];
  for (int k = threadIdx.x; k < BLOCK * BLOCK; k += blockDim.x) {
    const int i = k / BLOCK, j = k % BLOCK;
    ub[i][j] = u[static_cast<int64_t>(c0 + i) * cols + c0 + j];
  }
  __syncthreads();
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float x[BLOCK];
  float* wr = w + static_cast<int64_t>(r) * cols + c0;
  for (int j = 0; j < BLOCK; ++j) x[j] = wr[j];
  const int nb = cols / QK;
  int q[QK];
  float d = 0.f, dh = 0.f, id = 0.f;
  uint16_t dbits = 0;
  for (int i = 0; i < BLOCK; ++i) {
    const int e = i % QK;
    if (e == 0) {
      d = G::scale(x + i);
      id = d != 0.f ? 1.f / d : 0.f;
      dbits = float_to_half_bits(d);
      dh = half_bits_to_float(dbits);
    }
    q[e] = G::code(x[i], id);
    const float e_i = (x[i] - G::value(q[e], dh)) / ub[i][i];
    err[static_cast<int64_t>(r) * BLOCK + i] = e_i;
    for (int k = i + 1; k < BLOCK; ++k) x[k] -= e_i * ub[i][k];
    if (e == QK - 1) G::write(out + (static_cast<int64_t>(r) * nb + (c0 + i) / QK) * G::kTypeSize, dbits, q);
  }
}

// w[:, c1:] -= err (rows × BLOCK) · u[c0:c0+BLOCK, c1:]
__global__ void trailing_update(float* w, int rows, int cols, int c0, int c1, const float* u, const float* err) {
  __shared__ float ea[16][BLOCK];
  __shared__ float ub[BLOCK][16];
  const int r = blockIdx.y * 16 + threadIdx.y, c = c1 + blockIdx.x * 16 + threadIdx.x;
  const int lin = threadIdx.y * 16 + threadIdx.x;
  for (int k = lin; k < 16 * BLOCK; k += 256) {
    const int rr = blockIdx.y * 16 + k / BLOCK, kk = k % BLOCK;
    ea[k / BLOCK][kk] = rr < rows ? err[static_cast<int64_t>(rr) * BLOCK + kk] : 0.f;
    const int kr = k / 16, cc = c1 + blockIdx.x * 16 + k % 16;
    ub[kr][k % 16] = cc < cols ? u[static_cast<int64_t>(c0 + kr) * cols + cc] : 0.f;
  }
  __syncthreads();
  if (r >= rows || c >= cols) return;
  float s = 0.f;
  for (int k = 0; k < BLOCK; ++k) s += ea[threadIdx.y][k] * ub[k][threadIdx.x];
  w[static_cast<int64_t>(r) * cols + c] -= s;
}

template <int kType>
void run_blocks(float* w, int rows, int cols, const float* u, float* err, uint8_t* out, cudaStream_t s) {
  for (int c0 = 0; c0 < cols; c0 += BLOCK) {
    gptq_block<kType><<<(rows + THREADS - 1) / THREADS, THREADS, 0, s>>>(w, rows, cols, c0, u, err, out);
    const int c1 = c0 + BLOCK;
    if (c1 < cols) trailing_update<<<dim3((cols - c1 + 15) / 16, (rows + 15) / 16), dim3(16, 16), 0, s>>>(w, rows, cols, c0, c1, u, err);
  }
}

struct DeviceBuffers {
  double* h = nullptr;
  float* u = nullptr;
  float* w = nullptr;
  float* err = nullptr;
  uint8_t* out = nullptr;
  ~DeviceBuffers() {
    cudaFree(h);
    cudaFree(u);
    cudaFree(w);
    cudaFree(err);
    cudaFree(out);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace
}  // namespace lowbit::cuda

extern "C" int lowbit_cuda_gptq(int type, const float* w, int rows, int cols, const double* h, double damp, uint8_t* out,
                                LowbitCudaGptqTimes* times) {
  using namespace lowbit::cuda;
  if (rows <= 0 || cols <= 0 || cols % BLOCK != 0) {
    set_error("gptq: rows must be positive and cols a positive multiple of 64");
    return -2;
  }
  if (type != LOWBIT_CUDA_Q4_0 && type != LOWBIT_CUDA_Q8_0) {
    set_error("gptq: type " + std::to_string(type) + " has no CUDA grid (Q4_0 and Q8_0 do)");
    return -3;
  }
  const int type_size = type == LOWBIT_CUDA_Q4_0 ? 18 : 34;
  const size_t out_bytes = static_cast<size_t>(rows) * (cols / QK) * type_size;
  const size_t nn = static_cast<size_t>(cols) * cols, nw = static_cast<size_t>(rows) * cols;
  DeviceBuffers b;
  LOWBIT_CUDA_CHECK(cudaMalloc(&b.h, nn * sizeof(double)));
  LOWBIT_CUDA_CHECK(cudaMalloc(&b.u, nn * sizeof(float)));
  LOWBIT_CUDA_CHECK(cudaMalloc(&b.w, nw * sizeof(float)));
  LOWBIT_CUDA_CHECK(cudaMalloc(&b.err, static_cast<size_t>(rows) * BLOCK * sizeof(float)));
  LOWBIT_CUDA_CHECK(cudaMalloc(&b.out, out_bytes));
  cudaStream_t s = nullptr;
  LOWBIT_CUDA_CHECK(cudaMemcpy(b.h, h, nn * sizeof(double), cudaMemcpyHostToDevice));
  LOWBIT_CUDA_CHECK(cudaMemcpy(b.w, w, nw * sizeof(float), cudaMemcpyHostToDevice));

  auto t0 = std::chrono::steady_clock::now();
  // λ raised by 0.01 until the factorisation succeeds, as the CPU GPTQ does
  int rc = 1;
  for (double lambda = damp; rc == 1 && lambda < 1.0 + 1e-9; lambda += 0.01) {
    add_damping<<<1, 256, 0, s>>>(b.h, cols, lambda);
    rc = inverse_upper_cholesky(b.h, cols, s);
    if (rc == 1) LOWBIT_CUDA_CHECK(cudaMemcpy(b.h, h, nn * sizeof(double), cudaMemcpyHostToDevice));
  }
  if (rc == 1) {
    set_error("gptq: H is not positive definite even with λ = 1");
    return -4;
  }
  if (rc != 0) return rc;
  to_float<<<static_cast<unsigned>((nn + 255) / 256), 256, 0, s>>>(b.h, b.u, static_cast<int64_t>(nn));
  LOWBIT_CUDA_CHECK(cudaStreamSynchronize(s));
  const double factor_seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  if (type == LOWBIT_CUDA_Q4_0) run_blocks<LOWBIT_CUDA_Q4_0>(b.w, rows, cols, b.u, b.err, b.out, s);
  else run_blocks<LOWBIT_CUDA_Q8_0>(b.w, rows, cols, b.u, b.err, b.out, s);
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  LOWBIT_CUDA_CHECK(cudaStreamSynchronize(s));
  const double update_seconds = seconds_since(t0);
  LOWBIT_CUDA_CHECK(cudaMemcpy(out, b.out, out_bytes, cudaMemcpyDeviceToHost));
  if (times) *times = {factor_seconds, update_seconds};
  return 0;
}
