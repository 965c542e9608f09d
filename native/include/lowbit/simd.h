// Run-time CPU feature selection. SIMD code is compiled per function with target
// attributes (never -march=native) and chosen here at run time.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define LOWBIT_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define LOWBIT_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#else
#define LOWBIT_TARGET_AVX2
#define LOWBIT_TARGET_AVX512
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define LOWBIT_X86 1
#include <immintrin.h>
#endif

namespace lowbit {

enum class SimdLevel { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Best level the CPU supports, lowered by the LOWBIT_SIMD environment variable
// ("scalar", "avx2", "avx512") so tests can force each path.
SimdLevel simd_level();
// Overrides the detected level (clamped to what the CPU supports); returns the previous one.
SimdLevel set_simd_level(SimdLevel level);
const char* simd_level_name(SimdLevel level);

}  // namespace lowbit
