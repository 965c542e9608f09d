// One block through the GPTQ loop's codec (native/src/core/gptq/codec.h), for tests: the block
// fitted on fit_values, then (refit: every k-quant sub-block's scale refitted on targets) each
// element i projected to the grid value nearest targets[i] and its code written.
#pragma once

#include <cstdint>
#include <vector>

#include "lowbit/formats.h"

namespace lowbit {

struct CodecProbe {
  std::vector<uint8_t> data;    // the block's bytes after every element was written
  std::vector<int32_t> codes;   // per element
  std::vector<float> values;    // per element, the dequantized grid value
  int refitted = 0;             // sub-block scales the refit changed
};

// Each array holds one block of the type. Throws std::invalid_argument when the type has no GPTQ
// grid or an array is not one block long.
CodecProbe gptq_codec_probe(const TypeTraits& type, const std::vector<float>& fit_values, const std::vector<float>& importance,
                            const std::vector<float>& targets, bool refit);

}  // namespace lowbit
