// A block type's grid as the GPTQ loop uses it:
//  (a) fit: the type's own llama.cpp-exact quantizer run on the block's *current* values with
//      importance diag(H) of its columns; the scales are then read back out of the produced bytes;
//  (b) project: the grid value nearest to a weight under those scales, computed exactly as the
//      dequantizer computes it (so the error GPTQ propagates is the error the file will have);
//  (c) write: one element's code into the block bytes.
// K-quant super-blocks (256) also refit one sub-block's integer scale (and min) when the loop
// reaches it; see SubScales in subscales.cpp.
#pragma once

#include <cstdint>

#include "lowbit/formats.h"
#include "lowbit/grid.h"

namespace lowbit::gptq {

struct SubScales;

class BlockCodec {
 public:
  // nullptr when the type has no grid
  static const BlockCodec* find(GgmlType type);

  int block_size() const { return grid_->block_size; }
  size_t block_bytes() const { return traits_->type_size; }
  // elements per independently scaled group inside a block (16/32 for k-quants, else the block)
  int group_size() const;
  bool has_subscales() const { return sub_ != nullptr; }

  // (a) block ← the reference quantizer's bytes for x; map ← their per-group scale/offset
  void fit(const float* x, const float* importance, uint8_t* block, BlockMap& map) const;
  // (b) nearest grid value to w for element i under map: returns the code, *value its dequantized value
  int project(const BlockMap& map, int i, float w, float* value) const { return project_in_group(map, i / map.group, w, value); }
  // the same for an element of group g (the loop knows it without dividing)
  int project_in_group(const BlockMap& map, int g, float w, float* value) const;
  // (c)
  void write(uint8_t* block, int i, int code) const { grid_->set_code(block, i, code); }
  // K-quants: search the integer scale (and min) of group g near its current ones, keeping the
  // super-block's fp16 d/dmin, for least Σ weight·(x − grid value)² over the group's current values
  // x[0..group). Writes it and refreshes map when it beats the current one; returns whether it did.
  bool refit_group(uint8_t* block, BlockMap& map, int g, const float* x, const float* weight) const;

  const TypeTraits& traits() const { return *traits_; }
  const BlockGrid& grid() const { return *grid_; }

  BlockCodec(const TypeTraits* t, const BlockGrid* g, const SubScales* s) : traits_(t), grid_(g), sub_(s) {}

 private:
  const TypeTraits* traits_;
  const BlockGrid* grid_;
  const SubScales* sub_;
  bool uniform_ = false;
  friend struct CodecTable;
};

}  // namespace lowbit::gptq
