// Dense linear algebra for GPTQ: f32 GEMM (lazy column updates), fp64 A·Bᵀ products and fp64
// Cholesky-based factorisations (Hessians). Row-major throughout; pool == nullptr runs serially.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/big_vector.h"
#include "lowbit/thread_pool.h"

namespace lowbit::linalg {

// C[m×n] += alpha · A[m×k] · B[k×n]. Blocked and packed, AVX2/FMA 6×16 micro-kernel when the CPU
// (and simd_level()) allows, otherwise the same blocking with a portable micro-kernel.
void sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
           float* C, int64_t ldc, ThreadPool* pool);
// C[m×n] += alpha · A[m×k] · Bᵀ with B stored n×k (the same packed kernel).
void sgemm_bt(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float* C, int64_t ldc, ThreadPool* pool);
// The triple loop, for tests.
void sgemm_ref(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
               float* C, int64_t ldc);

// y[0..n) += a·x[0..n) (f32); the AVX2 or portable version, picked once by the caller.
using AxpyFn = void (*)(int64_t n, float a, const float* x, float* y);
AxpyFn axpy_kernel();

// C[m×n] += alpha · A[m×k] · B[n×k]ᵀ in fp64 (both operands read along k). With lower_only
// (m == n, A and B the same rows or not) only the entries j ≤ i of C are touched.
void dgemm_nt(int64_t m, int64_t n, int64_t k, double alpha, const double* A, int64_t lda, const double* B,
              int64_t ldb, double* C, int64_t ldc, ThreadPool* pool, bool lower_only = false);
void sgemm_nt(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float* C, int64_t ldc, ThreadPool* pool, bool lower_only = false);
void dgemm_nt_ref(int64_t m, int64_t n, int64_t k, double alpha, const double* A, int64_t lda, const double* B,
                  int64_t ldb, double* C, int64_t ldc);

// Lower Cholesky factor of the SPD n×n matrix a, in place (strict upper part zeroed). Returns false,
// leaving a partly overwritten, when a pivot is not positive and finite.
bool cholesky_lower(double* a, int64_t n, ThreadPool* pool);

// X = L⁻¹ for lower-triangular L, returned transposed (Y = Xᵀ, upper) because every product
// that follows reads it along rows.
std::vector<double> lower_inverse_transposed(const double* L, int64_t n, ThreadPool* pool);

// U upper-triangular with UᵀU = (H + shift·I)⁻¹ (the factor GPTQ needs). Built as U = J·chol(J H J)⁻¹·J
// (J reverses the index order), which costs one Cholesky and one triangular inverse. Returns false
// when H + shift·I is not positive definite.
bool upper_cholesky_of_inverse(const double* H, int64_t n, double shift, std::vector<double>& U, ThreadPool* pool);
// R upper-triangular with R·Rᵀ = H + shift·I, in f32 (H, given in fp64, is damped then rounded
// once): the Cholesky factor of H taken in reverse index order. It is all GPTQ needs (see gptq.cpp),
// one Cholesky and no inverse. `diag`, when given, replaces H's diagonal (so that a caller need not
// copy H to change it). Returns false when H + shift·I is not positive definite.
bool upper_cholesky_reversed(const double* H, int64_t n, double shift, BigVector<float>& R, ThreadPool* pool,
                             const double* diag = nullptr);

// (H + shift·I)⁻¹ = UᵀU with U from upper_cholesky_of_inverse; false when not positive definite.
bool spd_inverse(const double* H, int64_t n, double shift, std::vector<double>& inv, ThreadPool* pool);

// out[n×m] = in[m×n]ᵀ
void transpose(const double* in, int64_t m, int64_t n, double* out);

}  // namespace lowbit::linalg
