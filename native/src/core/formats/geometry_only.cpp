// ggml types a GGUF file may hold that the engine does not convert: their block geometry only
// (ggml.c's type_traits), so that sizes and offsets of any tensor can be computed from one table.
#include "lowbit/formats.h"

namespace lowbit {
namespace {

#define LOWBIT_GEOMETRY_ONLY(TYPE, BLOCK, BYTES, QUANTIZED) \
  LOWBIT_REGISTER_TYPE(TypeTraits{GgmlType::TYPE, #TYPE, BLOCK, BYTES, QUANTIZED, nullptr, nullptr, nullptr, nullptr})

LOWBIT_GEOMETRY_ONLY(Q8_1, 32, 36, true);
LOWBIT_GEOMETRY_ONLY(Q8_K, 256, 292, true);
LOWBIT_GEOMETRY_ONLY(IQ2_XXS, 256, 66, true);
LOWBIT_GEOMETRY_ONLY(IQ2_XS, 256, 74, true);
LOWBIT_GEOMETRY_ONLY(IQ3_XXS, 256, 98, true);
LOWBIT_GEOMETRY_ONLY(IQ1_S, 256, 50, true);
LOWBIT_GEOMETRY_ONLY(IQ3_S, 256, 110, true);
LOWBIT_GEOMETRY_ONLY(IQ2_S, 256, 82, true);
LOWBIT_GEOMETRY_ONLY(I8, 1, 1, false);
LOWBIT_GEOMETRY_ONLY(I16, 1, 2, false);
LOWBIT_GEOMETRY_ONLY(I32, 1, 4, false);
LOWBIT_GEOMETRY_ONLY(I64, 1, 8, false);
LOWBIT_GEOMETRY_ONLY(F64, 1, 8, false);
LOWBIT_GEOMETRY_ONLY(IQ1_M, 256, 56, true);
LOWBIT_GEOMETRY_ONLY(TQ1_0, 256, 54, true);
LOWBIT_GEOMETRY_ONLY(TQ2_0, 256, 66, true);

}  // namespace
}  // namespace lowbit
