// AVX2 paths of the 32-element block types (nullptr where the CPU build has no x86 SIMD).
#pragma once

#include <cstdint>

namespace lowbit::fmt::simd {
extern void (*const dequantize_q4_0)(const void*, float*, int64_t);
extern void (*const dequantize_q4_1)(const void*, float*, int64_t);
extern void (*const dequantize_q8_0)(const void*, float*, int64_t);
extern void (*const quantize_q4_0)(const float*, void*, int64_t, int64_t, const float*);
extern void (*const quantize_q8_0)(const float*, void*, int64_t, int64_t, const float*);
}  // namespace lowbit::fmt::simd
