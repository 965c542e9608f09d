#include "codec.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../formats/blocks.h"
#include "lowbit/simd.h"
#include "subscales.h"

namespace lowbit::gptq {

struct CodecTable {
  std::vector<BlockCodec> codecs;
  CodecTable() {
    for (const TypeTraits* t : all_types()) {
      const BlockGrid* g = find_grid(t->type);
      if (!g) continue;
      BlockCodec c(t, g, find_subscales(t->type));
      const auto& lv = g->levels;
      c.uniform_ = lv.back() - lv.front() == static_cast<int32_t>(lv.size()) - 1;
      // callers index groups by group_size(); the grid's map must agree (checked once, on a zero block)
      std::vector<float> zeros(static_cast<size_t>(g->block_size), 0.f), ones(zeros.size(), 1.f);
      std::vector<uint8_t> probe(t->type_size);
      BlockMap m;
      c.fit(zeros.data(), ones.data(), probe.data(), m);
      if (m.group != c.group_size()) throw std::logic_error(std::string(t->name) + ": the grid's groups differ from the codec's");
      codecs.push_back(c);
    }
  }
};

const BlockCodec* BlockCodec::find(GgmlType type) {
  static const CodecTable table;
  for (const auto& c : table.codecs)
    if (c.traits_->type == type) return &c;
  return nullptr;
}

int BlockCodec::group_size() const { return sub_ ? sub_->group : grid_->block_size; }

void BlockCodec::fit(const float* x, const float* importance, uint8_t* block, BlockMap& map) const {
  quantize_rows(*traits_, x, block, 1, grid_->block_size, importance);
  grid_->map(block, map);
}

namespace {

// The level index nearest to t (the value in steps above the lowest level), clamped to [-1, n]
// before rounding; 0 when t is not finite. Comparisons, not std::fmax/fmin: those are library calls.
inline int rounded_level(float t, int n) {
  const float top = static_cast<float>(n);
  return std::isfinite(t) ? fmt::nearest_int(t < -1.f ? -1.f : (t > top ? top : t)) : 0;
}

// The dequantizers compute q·scale, then add the offset when the type has one.
inline float grid_value(int32_t level, float scale, float offset, bool has_offset) {
  const float v = static_cast<float>(level) * scale;
  return has_offset ? v + offset : v;
}

int nearest(const std::vector<int32_t>& levels, bool uniform, float w, float scale, float offset, bool has_offset,
            float* value) {
  const int n = static_cast<int>(levels.size());
  int lo = 0, hi = n - 1;
  if (uniform && scale != 0) {
    // the nearest level and its neighbours (float rounding can move the boundary by one)
    const float t = ((has_offset ? w - offset : w) / scale) - static_cast<float>(levels[0]);
    const int k = rounded_level(t, n);
    const int kc = std::max(0, std::min(n - 1, k));
    const float vk = grid_value(levels[kc], scale, offset, has_offset);
    if (std::fabs(vk - w) <= 0.49f * std::fabs(scale)) {  // then every other level is farther
      *value = vk;
      return kc;
    }
    lo = std::max(0, std::min(n - 1, k) - 1);
    hi = std::min(n - 1, std::max(0, k) + 1);
  }
  int best = lo;
  float best_err = INFINITY;
  for (int c = lo; c <= hi; ++c) {
    const float v = grid_value(levels[c], scale, offset, has_offset);
    const float err = std::fabs(v - w);
    if (err < best_err) {
      best_err = err;
      best = c;
      *value = v;
    }
  }
  return best;
}

// Σ weight·(x − v)² over n elements (a multiple of 8) of a uniform grid, v being x's nearest level
// under (scale, offset): levels lv0, lv0+1, …, lv0+cmax. Only compares candidate scales, so it sums
// in f32 lanes in any order.
#ifdef LOWBIT_X86
LOWBIT_TARGET_AVX2 double uniform_cost_avx2(const float* x, const float* weight, int n, float scale, float offset,
                                            bool has_offset, float lv0, float cmax) {
  const __m256 inv = _mm256_set1_ps(1.f / scale), sc = _mm256_set1_ps(scale), off = _mm256_set1_ps(offset);
  const __m256 l0 = _mm256_set1_ps(lv0), hi = _mm256_set1_ps(cmax), zero = _mm256_setzero_ps();
  const __m256 magic = _mm256_set1_ps(12582912.f);  // adding and removing 1.5·2^23 rounds to nearest
  __m256 acc = zero;
  for (int i = 0; i < n; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    const __m256 u = has_offset ? _mm256_sub_ps(xv, off) : xv;
    __m256 t = _mm256_sub_ps(_mm256_mul_ps(u, inv), l0);
    t = _mm256_min_ps(_mm256_max_ps(t, zero), hi);
    const __m256 c = _mm256_sub_ps(_mm256_add_ps(t, magic), magic);
    __m256 v = _mm256_mul_ps(_mm256_add_ps(c, l0), sc);
    if (has_offset) v = _mm256_add_ps(v, off);
    const __m256 r = _mm256_sub_ps(xv, v);
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(weight + i), r), r));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double e = 0;
  for (float l : lanes) e += l;
  return e;
}
#endif

}  // namespace

int BlockCodec::project_in_group(const BlockMap& map, int g, float w, float* value) const {
  return nearest(grid_->levels, uniform_, w, map.scale[g], map.offset[g], map.has_offset, value);
}

bool BlockCodec::refit_group(uint8_t* block, BlockMap& map, int g, const float* x, const float* weight) const {
  if (!sub_) return false;
  float d, dmin;
  sub_->super(block, d, dmin);
  int sc0, m0;
  sub_->get(block, g, sc0, m0);
  // the weighted error of the group's nearest codes under (sc, m); uniform grids round directly
  // (a boundary case may pick the other neighbour, which only matters for ties in the comparison)
  const auto& lv = grid_->levels;
  const int n = static_cast<int>(lv.size());
#ifdef LOWBIT_X86
  const bool vector_cost = uniform_ && sub_->group % 8 == 0 && simd_level() >= SimdLevel::Avx2;
#else
  const bool vector_cost = false;
#endif
  auto cost = [&](int sc, int m) {
    const float scale = d * static_cast<float>(sc);
#ifdef LOWBIT_X86
    if (vector_cost && scale != 0)
      return uniform_cost_avx2(x, weight, sub_->group, scale, -(dmin * static_cast<float>(m)), sub_->has_min,
                               static_cast<float>(lv[0]), static_cast<float>(n - 1));
#endif
    const float inv_scale = 1.f / scale;
    const float offset = -(dmin * static_cast<float>(m));
    double e = 0;
    float v;
    for (int i = 0; i < sub_->group; ++i) {
      if (uniform_ && scale != 0) {
        const float t = ((sub_->has_min ? x[i] - offset : x[i]) * inv_scale) - static_cast<float>(lv[0]);
        const int c = std::min(n - 1, std::max(0, rounded_level(t, n)));
        v = grid_value(lv[c], scale, offset, sub_->has_min);
      } else {
        nearest(lv, uniform_, x[i], scale, offset, sub_->has_min, &v);
      }
      const double r = static_cast<double>(x[i]) - v;
      e += weight[i] * r * r;
    }
    return e;
  };
  const double current = cost(sc0, m0);
  double best = current;
  int best_sc = sc0, best_m = m0;
  const int rs = sub_->has_min ? 1 : 2, rm = sub_->has_min ? 1 : 0;
  for (int sc = std::max(sub_->sc_lo, sc0 - rs); sc <= std::min(sub_->sc_hi, sc0 + rs); ++sc)
    for (int m = std::max(sub_->m_lo, m0 - rm); m <= std::min(sub_->m_hi, m0 + rm); ++m) {
      if (sc == sc0 && m == m0) continue;
      const double e = cost(sc, m);
      if (e < best) {
        best = e;
        best_sc = sc;
        best_m = m;
      }
    }
  if (best_sc == sc0 && best_m == m0) return false;
  sub_->set(block, g, best_sc, best_m);
  grid_->map(block, map);
  return true;
}

}  // namespace lowbit::gptq
