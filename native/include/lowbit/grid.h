// A block type's grid as GPTQ needs it: the integer levels a code can take, how to read a fitted
// block's per-element scale/offset, and how to overwrite one element's code in the block bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/formats.h"

namespace lowbit {

struct BlockGrid {
  GgmlType type;
  int block_size;
  std::vector<int32_t> levels;  // value of code k is levels[k] · scale + offset
  // per element i of a block: scale and offset (offset 0 and has_offset false for symmetric types)
  void (*element_map)(const uint8_t* block, int i, float* scale, float* offset, bool* has_offset);
  void (*set_code)(uint8_t* block, int i, int code);
};

// nullptr when GPTQ does not support the type yet.
const BlockGrid* find_grid(GgmlType type);

}  // namespace lowbit
