// The scale searches ggml's quantizers use (restated from their math; results must match ggml's
// to the bit, so the float operation order is kept).
#pragma once

#include <cstdint>

namespace lowbit::fmt {

// Symmetric grid [-nmax, nmax-1] · scale. rmse_type 1 weights by x² (or by qw when given).
// Returns the scale; L receives codes offset by nmax.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type, const float* qw);

// Asymmetric grid [0, nmax] · scale − min, weighted least squares over a sweep of nstep scales.
// *the_min receives the (non-negative) offset subtracted; returns the scale.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad);
float make_qkx3_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad);

// Non-negative grid [0, nmax] for positive values (the k-quant sub-block scales).
float make_qp_quants(int n, int nmax, const float* x, uint8_t* L, const float* quant_weights);

// Q3_K's symmetric search with coordinate refinement.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L, bool do_rmse);

}  // namespace lowbit::fmt
