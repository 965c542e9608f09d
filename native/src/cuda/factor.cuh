// Factorisations for GPTQ on the device, row-major fp64: lower Cholesky and the upper Cholesky
// factor U of H⁻¹ (H⁻¹ = UᵀU). cuSOLVER when its header is present, otherwise the kernels in factor.cu.
#pragma once

#include <cuda_runtime.h>

namespace lowbit::cuda {

/** In place: a (n × n, symmetric) becomes U with a⁻¹ = UᵀU, stored row-major in the upper triangle (lower zeroed).
 *  Returns 0, 1 when a is not positive definite, or -1 on a CUDA error (message set). */
int inverse_upper_cholesky(double* a, int n, cudaStream_t stream);

}  // namespace lowbit::cuda
