// AVX2 sweeps of make_qx_quants and make_qkx2/3_quants (search.cpp), vectorized across steps.
//
// Each candidate scale ("step") of these searches has its own iscale, then sums over the elements
// i = 0..n-1 in order. Here 8 steps share an __m256, one per lane, and the loops run over i in the
// scalar order, so each lane does its step's float operations exactly as the scalar code does
// them: same operands, same order, same association ((w·l)·l, separate mul and add: the build has
// -ffp-contract=off), codes from the same nearest_int bit trick, converted from int as the scalar
// code does. Every per-step sum is therefore bit-identical to the scalar one. The per-step
// formulas (iscale, D, scale, min) are the scalar expressions evaluated lane-wise (IEEE division
// and products round the same in a lane as in a scalar register). The choice between steps —
// sequential, first wins, strict comparisons, `best` moving as steps are accepted — is made in
// scalar, in step order, over the stored per-step values. Padding lanes are computed and ignored.
#include "search_avx2.h"

#include <algorithm>
#include <cstring>

#include "blocks.h"
#include "lowbit/simd.h"

namespace lowbit::fmt::simd {

#ifdef LOWBIT_X86
namespace {

// nearest_int (blocks.h) of 8 values, clamped to [lo, hi], as floats.
struct CodeConsts {
  __m256 magic;
  __m256i mantissa, bias, lo, hi;
};

LOWBIT_TARGET_AVX2 inline CodeConsts code_consts(int lo, int hi) {
  return {_mm256_set1_ps(12582912.f), _mm256_set1_epi32(0x007fffff), _mm256_set1_epi32(0x00400000),
          _mm256_set1_epi32(lo), _mm256_set1_epi32(hi)};
}

LOWBIT_TARGET_AVX2 inline __m256 code(__m256 v, const CodeConsts& c) {
  __m256i i = _mm256_castps_si256(_mm256_add_ps(v, c.magic));
  i = _mm256_sub_epi32(_mm256_and_si256(i, c.mantissa), c.bias);
  i = _mm256_max_epi32(c.lo, _mm256_min_epi32(c.hi, i));
  return _mm256_cvtepi32_ps(i);
}

// ---------------- make_qx_quants ----------------

constexpr int kQxSteps = 19;  // lane 0: the first guess -nmax/max; lanes 1..18: is = -9..-1, 1..9
constexpr int kQxVecs = 3;    // 24 lanes, the last 5 padding

LOWBIT_TARGET_AVX2 float qx_sweep_avx2(int n, int nmax, const float* x, const float* w, float max, int8_t* L) {
  // each lane's `is`; lane 0 is the first guess -nmax/max, which is the formula at is = 0 exactly
  // (nmax + 0.1f·0 = nmax), and the padding lanes are ignored
  alignas(32) static const int32_t kIs[8 * kQxVecs] = {0, -9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  alignas(32) float iscale[8 * kQxVecs], sumlx[8 * kQxVecs], suml2[8 * kQxVecs], scale_k[8 * kQxVecs], best_k[8 * kQxVecs];
  const CodeConsts c = code_consts(-nmax, nmax - 1);
  __m256 vis[kQxVecs], slx[kQxVecs], sl2[kQxVecs];
  for (int g = 0; g < kQxVecs; ++g) {
    // -(nmax + 0.1f * is) / max
    const __m256 is = _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(kIs + 8 * g)));
    const __m256 num = _mm256_add_ps(_mm256_set1_ps(static_cast<float>(nmax)), _mm256_mul_ps(_mm256_set1_ps(0.1f), is));
    vis[g] = _mm256_div_ps(_mm256_xor_ps(num, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(max));
    _mm256_store_ps(iscale + 8 * g, vis[g]);
    slx[g] = sl2[g] = _mm256_setzero_ps();
  }
  for (int i = 0; i < n; ++i) {
    const __m256 xi = _mm256_set1_ps(x[i]);
    const __m256 wi = _mm256_set1_ps(w[i]);
    const __m256 wx = _mm256_set1_ps(w[i] * x[i]);
    for (int g = 0; g < kQxVecs; ++g) {
      const __m256 l = code(_mm256_mul_ps(vis[g], xi), c);
      slx[g] = _mm256_add_ps(slx[g], _mm256_mul_ps(wx, l));                     // w * x[i] * l
      sl2[g] = _mm256_add_ps(sl2[g], _mm256_mul_ps(_mm256_mul_ps(wi, l), l));   // w * l * l
    }
  }
  for (int g = 0; g < kQxVecs; ++g) {
    // each step's scale and `best` if accepted, computed ahead so the scan below does no division
    const __m256 sc = _mm256_div_ps(slx[g], sl2[g]);  // sumlx / suml2
    _mm256_store_ps(sumlx + 8 * g, slx[g]);
    _mm256_store_ps(suml2 + 8 * g, sl2[g]);
    _mm256_store_ps(scale_k + 8 * g, sc);
    _mm256_store_ps(best_k + 8 * g, _mm256_mul_ps(sc, slx[g]));  // scale * sumlx
  }

  const float scale0 = suml2[0] ? sumlx[0] / suml2[0] : 0.0f;
  float best = scale0 * sumlx[0];
  int chosen = 0;
  for (int k = 1; k < kQxSteps; ++k) {
    if (suml2[k] > 0 && sumlx[k] * sumlx[k] > best * suml2[k]) {
      best = best_k[k];
      chosen = k;
    }
  }
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale[chosen] * x[i]);
    L[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
  }
  return chosen ? scale_k[chosen] : scale0;
}

// ---------------- make_qkx_quants ----------------
//
// Here the steps are not quite independent: when the scalar loop accepts a step it also moves
// `min`, which every later step uses (in its iscale and in x[i] − min). So a pass computes 8
// consecutive steps with the min in force, and the scan in step order stops at the first accepted
// step that changes min (bitwise): the next pass starts at the step after it with the new min,
// which is what the scalar loop computes for those steps. On Gaussian blocks min changes about 4
// times in Q4_K's 38 imatrix steps: about 8 passes where 5 would do without the restarts.

constexpr int kLanes = 8;

struct QkxPass {  // 8 consecutive steps of the sweep, one per lane
  alignas(32) float iscale[kLanes], sum_l[kLanes], sum_l2[kLanes], sum_xl[kLanes];
  alignas(32) float scale[kLanes], min[kLanes], error[kLanes];
  int valid;  // bit j: lane j's step is a candidate (D > 0, or the first guess)
};

// Each step's codes (into lf) and its sums Σw·l, Σw·l·l, Σw·l·x.
LOWBIT_TARGET_AVX2 inline void qkx_sums(int n, const float* xm, const float* x, const float* w, const CodeConsts& c,
                                        QkxPass& p, __m256* lf) {
  const __m256 vis = _mm256_load_ps(p.iscale);
  __m256 sl = _mm256_setzero_ps(), sl2 = _mm256_setzero_ps(), sxl = _mm256_setzero_ps();
  for (int i = 0; i < n; ++i) {
    const __m256 l = code(_mm256_mul_ps(vis, _mm256_set1_ps(xm[i])), c);  // iscale * (x[i] - min)
    lf[i] = l;
    const __m256 wl = _mm256_mul_ps(_mm256_set1_ps(w[i]), l);
    sl = _mm256_add_ps(sl, wl);                                           // w * l
    sl2 = _mm256_add_ps(sl2, _mm256_mul_ps(wl, l));                       // w * l * l
    sxl = _mm256_add_ps(sxl, _mm256_mul_ps(wl, _mm256_set1_ps(x[i])));    // w * l * x[i]
  }
  _mm256_store_ps(p.sum_l, sl);
  _mm256_store_ps(p.sum_l2, sl2);
  _mm256_store_ps(p.sum_xl, sxl);
}

// Each step's error Σw·(scale·l + min − x)² (or Σw·|…|) with its own scale and min.
LOWBIT_TARGET_AVX2 inline void qkx_errors(int n, const float* x, const float* w, bool use_mad, QkxPass& p,
                                          const __m256* lf) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 sc = _mm256_load_ps(p.scale), mn = _mm256_load_ps(p.min);
  __m256 err = _mm256_setzero_ps();
  for (int i = 0; i < n; ++i) {
    __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(sc, lf[i]), mn), _mm256_set1_ps(x[i]));
    diff = use_mad ? _mm256_andnot_ps(sign, diff) : _mm256_mul_ps(diff, diff);
    err = _mm256_add_ps(err, _mm256_mul_ps(_mm256_set1_ps(w[i]), diff));
  }
  _mm256_store_ps(p.error, err);
}

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

LOWBIT_TARGET_AVX2 float qkx_sweep_avx2(int n, int nmax, const float* x, const float* w, float min, float max,
                                        float sum_w, float sum_x, uint8_t* L, float* the_min, uint8_t* Laux,
                                        float rmin, float rdelta, int nstep, bool use_mad) {
  const int nsteps = nstep + 2;  // step 0: the first guess; step 1 + is: is = 0..nstep
  const CodeConsts c = code_consts(0, nmax);
  float xm[kSearchMaxN];
  __m256 lf[kSearchMaxN];
  float best_error = 0, scale = 0;
  float L_iscale = 0, L_min = min, Laux_iscale = 0, Laux_min = min;  // how L and Laux were made
  bool min_moved = true;
  for (int k = 0; k < nsteps;) {
    if (min_moved)
      for (int i = 0; i < n; ++i) xm[i] = x[i] - min;
    min_moved = false;
    QkxPass p;
    {
      // (rmin + rdelta * is + nmax) / (max - min) with is = s - 1 in lane j = s - k
      const __m256 is = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(k - 1), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
      const __m256 num = _mm256_add_ps(_mm256_add_ps(_mm256_set1_ps(rmin), _mm256_mul_ps(_mm256_set1_ps(rdelta), is)),
                                       _mm256_set1_ps(static_cast<float>(nmax)));
      _mm256_store_ps(p.iscale, _mm256_div_ps(num, _mm256_set1_ps(max - min)));
    }
    if (k == 0) p.iscale[0] = nmax / (max - min);  // the first guess
    qkx_sums(n, xm, x, w, c, p, lf);
    {
      // per step: D, its scale and min (ignored where D <= 0), as the scalar loop computes them
      const __m256 sl = _mm256_load_ps(p.sum_l), sl2 = _mm256_load_ps(p.sum_l2), sxl = _mm256_load_ps(p.sum_xl);
      const __m256 sw = _mm256_set1_ps(sum_w), sx = _mm256_set1_ps(sum_x), zero = _mm256_setzero_ps();
      const __m256 D = _mm256_sub_ps(_mm256_mul_ps(sw, sl2), _mm256_mul_ps(sl, sl));
      __m256 this_scale = _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sw, sxl), _mm256_mul_ps(sx, sl)), D);
      __m256 this_min = _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sl2, sx), _mm256_mul_ps(sl, sxl)), D);
      const __m256 positive = _mm256_cmp_ps(this_min, zero, _CMP_GT_OQ);  // this_min > 0: 0 and Σw·l·x / Σw·l·l
      this_scale = _mm256_blendv_ps(this_scale, _mm256_div_ps(sxl, sl2), positive);
      this_min = _mm256_blendv_ps(this_min, zero, positive);
      _mm256_store_ps(p.scale, this_scale);
      _mm256_store_ps(p.min, this_min);
      p.valid = _mm256_movemask_ps(_mm256_cmp_ps(D, zero, _CMP_GT_OQ));
    }
    if (k == 0) {  // the first guess: scale 1/iscale, the block's min, always a candidate
      p.scale[0] = 1 / p.iscale[0];
      p.min[0] = min;
      p.valid |= 1;
    }
    qkx_errors(n, x, w, use_mad, p, lf);

    int next = k + kLanes;
    for (int j = 0; j < kLanes && k + j < nsteps; ++j) {
      const int s = k + j;
      if (s == nsteps - 1) { Laux_iscale = p.iscale[j]; Laux_min = min; }
      if (s == 0) {
        best_error = p.error[j];
        scale = p.scale[j];
        L_iscale = p.iscale[j];
        continue;
      }
      if (!(p.valid >> j & 1) || !(p.error[j] < best_error)) continue;
      best_error = p.error[j];
      scale = p.scale[j];
      L_iscale = p.iscale[j];
      L_min = min;
      if (!same_bits(p.min[j], min)) {
        min = p.min[j];
        min_moved = true;
        next = s + 1;
        break;
      }
    }
    k = next;
  }
  auto codes = [&](float iscale, float base, uint8_t* out) {
    for (int i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, nearest_int(iscale * (x[i] - base)))));
  };
  codes(L_iscale, L_min, L);
  codes(Laux_iscale, Laux_min, Laux);  // the scalar loop leaves the last step's codes there
  *the_min = -min;
  return scale;
}

}  // namespace

float (*const qx_sweep)(int, int, const float*, const float*, float, int8_t*) = qx_sweep_avx2;
float (*const qkx_sweep)(int, int, const float*, const float*, float, float, float, float, uint8_t*, float*, uint8_t*,
                         float, float, int, bool) = qkx_sweep_avx2;
#else
float (*const qx_sweep)(int, int, const float*, const float*, float, int8_t*) = nullptr;
float (*const qkx_sweep)(int, int, const float*, const float*, float, float, float, float, uint8_t*, float*, uint8_t*,
                         float, float, int, bool) = nullptr;
#endif

}  // namespace lowbit::fmt::simd
