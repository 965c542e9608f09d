// Dense fp64 linear algebra for GPTQ (sizes up to the widest input dimension).
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit::linalg {

// Lower Cholesky factor of a symmetric positive-definite n × n matrix, in place (upper part
// zeroed). Returns false when the matrix is not positive definite.
bool cholesky_lower(std::vector<double>& a, int64_t n);

// The upper-triangular U with UᵀU = H⁻¹, from the lower Cholesky factor L of H (LLᵀ = H).
std::vector<double> upper_cholesky_of_inverse(const std::vector<double>& L, int64_t n);

}  // namespace lowbit::linalg
