// AVX2 sweeps of the scale searches in search.cpp (nullptr where the CPU build has no x86 SIMD).
// search.cpp does the set-up (range, degenerate blocks, weights) and calls these for the sweep.
#pragma once

#include <cstdint>

namespace lowbit::fmt::simd {

// Blocks of more elements than this stay scalar (the sweeps' scratch space is on the stack).
constexpr int kSearchMaxN = 256;

// make_qx_quants after its first guess: the 19 scales -(nmax + 0.1·is)/max, is = -9..9, weighted
// by w. Writes the codes (offset by nmax) to L, returns the scale.
extern float (*const qx_sweep)(int n, int nmax, const float* x, const float* w, float max, int8_t* L);

// make_qkx_quants after its range: the first guess nmax/(max − min), then nstep + 1 scales
// (rmin + rdelta·is + nmax)/(max − min), weighted by w; min is already clamped to ≤ 0.
// Writes L (and Laux, as the scalar loop leaves it), *the_min, returns the scale.
extern float (*const qkx_sweep)(int n, int nmax, const float* x, const float* w, float min, float max, float sum_w,
                                float sum_x, uint8_t* L, float* the_min, uint8_t* Laux, float rmin, float rdelta,
                                int nstep, bool use_mad);

}  // namespace lowbit::fmt::simd
