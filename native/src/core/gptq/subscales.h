// The integer sub-block scales (and mins) inside k-quant super-blocks, as their dequantizers read
// them: group g's scale is d·sc[g] and its offset −dmin·m[g], with d/dmin the super-block's fp16 values.
#pragma once

#include <cstdint>

#include "lowbit/formats.h"

namespace lowbit::gptq {

struct SubScales {
  GgmlType type;
  int group;               // elements per sub-block
  int sc_lo, sc_hi;        // the range of sc
  int m_lo, m_hi;          // the range of m (both 0 without a min)
  bool has_min;
  void (*get)(const uint8_t* block, int g, int& sc, int& m);
  void (*set)(uint8_t* block, int g, int sc, int m);
  void (*super)(const uint8_t* block, float& d, float& dmin);
};

const SubScales* find_subscales(GgmlType type);

}  // namespace lowbit::gptq
