// H⁻¹ = UᵀU for GPTQ. With cuSOLVER: potrf, potri, potrf (a row-major buffer read as column-major
// swaps upper and lower, which is used below). Without it: right-looking Cholesky by columns,
// triangular inverse by column solves, and Linvᵀ·Linv, all fp64.
#include <vector>

#include "common.cuh"
#include "factor.cuh"

#if __has_include(<cusolverDn.h>)
#include <cusolverDn.h>
#define LOWBIT_HAVE_CUSOLVER 1
#endif

namespace lowbit::cuda {
namespace {

__global__ void zero_lower_transpose(double* a, int n) {
  // a holds a row-major lower factor L; write U = Lᵀ into the upper triangle and zero the lower.
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && j < n && j > i) {
    a[static_cast<int64_t>(i) * n + j] = a[static_cast<int64_t>(j) * n + i];
  }
}

__global__ void zero_strict_lower(double* a, int n) {
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && j < i) a[static_cast<int64_t>(i) * n + j] = 0.0;
}

int to_upper(double* a, int n, cudaStream_t s) {
  const dim3 g((n + 15) / 16, (n + 15) / 16), b(16, 16);
  zero_lower_transpose<<<g, b, 0, s>>>(a, n);
  zero_strict_lower<<<g, b, 0, s>>>(a, n);
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  return 0;
}

#ifdef LOWBIT_HAVE_CUSOLVER

__global__ void symmetrize_from_lower(double* a, int n) {
  const int i = blockIdx.y * blockDim.y + threadIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && j < n && j > i) a[static_cast<int64_t>(i) * n + j] = a[static_cast<int64_t>(j) * n + i];
}

int cusolver_fail(const char* what, int status) {
  set_error(std::string(what) + " failed with cuSOLVER status " + std::to_string(status));
  return -1;
}

int factor(double* a, int n, cudaStream_t stream) {
  cusolverDnHandle_t h;
  if (int st = cusolverDnCreate(&h)) return cusolver_fail("cusolverDnCreate", st);
  cusolverDnSetStream(h, stream);
  int lwork = 0, lwork2 = 0;
  cusolverDnDpotrf_bufferSize(h, CUBLAS_FILL_MODE_UPPER, n, a, n, &lwork);
  cusolverDnDpotri_bufferSize(h, CUBLAS_FILL_MODE_UPPER, n, a, n, &lwork2);
  lwork = lwork > lwork2 ? lwork : lwork2;
  double* work = nullptr;
  int* info_d = nullptr;
  int info = 0, rc = 0;
  const dim3 g((n + 15) / 16, (n + 15) / 16), b(16, 16);
  if (cudaMalloc(&work, sizeof(double) * lwork) != cudaSuccess || cudaMalloc(&info_d, sizeof(int)) != cudaSuccess) {
    set_error("cudaMalloc of the cuSOLVER workspace failed");
    rc = -1;
  }
  // column-major UPPER on a row-major buffer = row-major lower Cholesky
  for (int step = 0; step < 3 && rc == 0; ++step) {
    int st = step == 1 ? cusolverDnDpotri(h, CUBLAS_FILL_MODE_UPPER, n, a, n, work, lwork, info_d)
                       : cusolverDnDpotrf(h, CUBLAS_FILL_MODE_UPPER, n, a, n, work, lwork, info_d);
    if (st) { rc = cusolver_fail(step == 1 ? "potri" : "potrf", st); break; }
    cudaMemcpyAsync(&info, info_d, sizeof(int), cudaMemcpyDeviceToHost, stream);
    cudaStreamSynchronize(stream);
    if (info != 0) { rc = 1; break; }
    if (step == 1) symmetrize_from_lower<<<g, b, 0, stream>>>(a, n);  // potri filled the row-major lower triangle
  }
  cudaFree(work);
  cudaFree(info_d);
  cusolverDnDestroy(h);
  if (rc != 0) return rc;
  return to_upper(a, n, stream);
}

#else

// Step k of the right-looking Cholesky: a[k][k] = sqrt, column below scaled.
__global__ void chol_column(double* a, int n, int k, int* failed) {
  const double dkk = a[static_cast<int64_t>(k) * n + k];
  if (!(dkk > 0.0)) {
    if (threadIdx.x == 0 && blockIdx.x == 0) *failed = 1;
    return;
  }
  const double l = sqrt(dkk);
  const int i = k + 1 + blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) a[static_cast<int64_t>(i) * n + k] /= l;
}

__global__ void chol_diag(double* a, int n, int k) {
  const double dkk = a[static_cast<int64_t>(k) * n + k];
  if (dkk > 0.0) a[static_cast<int64_t>(k) * n + k] = sqrt(dkk);
}

__global__ void chol_trailing(double* a, int n, int k) {
  const int i = k + 1 + blockIdx.y * blockDim.y + threadIdx.y;
  const int j = k + 1 + blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && j <= i) a[static_cast<int64_t>(i) * n + j] -= a[static_cast<int64_t>(i) * n + k] * a[static_cast<int64_t>(j) * n + k];
}

// Row-major lower Cholesky in place (strict upper triangle left untouched). Returns 1 when not positive definite.
int cholesky_lower(double* a, int n, int* failed_d, cudaStream_t s) {
  cudaMemsetAsync(failed_d, 0, sizeof(int), s);
  for (int k = 0; k < n; ++k) {
    const int below = n - k - 1;
    chol_column<<<(below + 255) / 256 + 1, 256, 0, s>>>(a, n, k, failed_d);
    chol_diag<<<1, 1, 0, s>>>(a, n, k);
    if (below > 0) chol_trailing<<<dim3((below + 15) / 16, (below + 15) / 16), dim3(16, 16), 0, s>>>(a, n, k);
  }
  LOWBIT_CUDA_CHECK(cudaGetLastError());
  int failed = 0;
  LOWBIT_CUDA_CHECK(cudaMemcpyAsync(&failed, failed_d, sizeof(int), cudaMemcpyDeviceToHost, s));
  LOWBIT_CUDA_CHECK(cudaStreamSynchronize(s));
  return failed ? 1 : 0;
}

// Column j of L⁻¹ by forward substitution: one block per column, the dot products reduced in shared memory.
__global__ void lower_inverse_columns(const double* l, double* linv, int n) {
  const int j = blockIdx.x;
  __shared__ double part[256];
  for (int i = 0; i < n; ++i) {
    if (i < j) {
      if (threadIdx.x == 0) linv[static_cast<int64_t>(i) * n + j] = 0.0;
      continue;
    }
    double s = 0.0;
    for (int k = j + threadIdx.x; k < i; k += blockDim.x) s += l[static_cast<int64_t>(i) * n + k] * linv[static_cast<int64_t>(k) * n + j];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
      if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      linv[static_cast<int64_t>(i) * n + j] = ((i == j ? 1.0 : 0.0) - part[0]) / l[static_cast<int64_t>(i) * n + i];
    }
    __syncthreads();
  }
}

// c = aᵀ·a for lower-triangular a (row-major): c[i][j] = Σ_{k ≥ max(i,j)} a[k][i]·a[k][j].
__global__ void ata_lower(const double* a, double* c, int n) {
  __shared__ double ai[16][16], aj[16][16];
  const int i = blockIdx.y * 16 + threadIdx.y, j = blockIdx.x * 16 + threadIdx.x;
  double s = 0.0;
  for (int k0 = 0; k0 < n; k0 += 16) {
    const int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    ai[threadIdx.y][threadIdx.x] = (ka < n && i < n) ? a[static_cast<int64_t>(ka) * n + i] : 0.0;
    aj[threadIdx.y][threadIdx.x] = (kb < n && j < n) ? a[static_cast<int64_t>(kb) * n + j] : 0.0;
    __syncthreads();
    for (int k = 0; k < 16; ++k) s += ai[threadIdx.y][k] * aj[k][threadIdx.x];
    __syncthreads();
  }
  if (i < n && j < n) c[static_cast<int64_t>(i) * n + j] = s;
}

int factor(double* a, int n, cudaStream_t s) {
  int* failed_d = nullptr;
  double* linv = nullptr;
  LOWBIT_CUDA_CHECK(cudaMalloc(&failed_d, sizeof(int)));
  if (cudaMalloc(&linv, sizeof(double) * n * n) != cudaSuccess) {
    cudaFree(failed_d);
    set_error("cudaMalloc of the triangular inverse failed");
    return -1;
  }
  const dim3 g((n + 15) / 16, (n + 15) / 16), b(16, 16);
  int rc = cholesky_lower(a, n, failed_d, s);
  if (rc == 0) {
    lower_inverse_columns<<<n, 256, 0, s>>>(a, linv, n);
    ata_lower<<<g, b, 0, s>>>(linv, a, n);  // a = H⁻¹ = L⁻ᵀL⁻¹
    rc = cholesky_lower(a, n, failed_d, s);
  }
  cudaFree(linv);
  cudaFree(failed_d);
  if (rc != 0) return rc;
  return to_upper(a, n, s);
}

#endif

}  // namespace

int inverse_upper_cholesky(double* a, int n, cudaStream_t stream) { return factor(a, n, stream); }

}  // namespace lowbit::cuda
