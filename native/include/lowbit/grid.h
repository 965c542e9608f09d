// A block type's grid as GPTQ needs it: the integer levels a code can take, how to read a fitted
// block's per-element scale/offset, and how to overwrite one element's code in the block bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/formats.h"

namespace lowbit {

// The affine map of a fitted block: element i's value for code k is levels[k] · scale[i / group]
// (+ offset[i / group] when has_offset), computed as the dequantizer computes it.
struct BlockMap {
  float scale[16];
  float offset[16];
  int group = 32;
  bool has_offset = false;
};

struct BlockGrid {
  GgmlType type;
  int block_size;
  std::vector<int32_t> levels;
  void (*map)(const uint8_t* block, BlockMap& out);
  void (*set_code)(uint8_t* block, int i, int code);
};

// nullptr when GPTQ does not support the type yet.
const BlockGrid* find_grid(GgmlType type);

}  // namespace lowbit
