#include "lowbit/simd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace lowbit {
namespace {

SimdLevel detect_cpu() {
#if defined(LOWBIT_X86) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return SimdLevel::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return SimdLevel::Avx2;
#endif
  return SimdLevel::Scalar;
}

SimdLevel initial_level() {
  SimdLevel cpu = detect_cpu();
  const char* env = std::getenv("LOWBIT_SIMD");
  if (!env) return cpu;
  SimdLevel want = cpu;
  if (!std::strcmp(env, "scalar")) want = SimdLevel::Scalar;
  else if (!std::strcmp(env, "avx2")) want = SimdLevel::Avx2;
  else if (!std::strcmp(env, "avx512")) want = SimdLevel::Avx512;
  return want < cpu ? want : cpu;
}

std::atomic<int>& level_slot() {
  static std::atomic<int> slot{static_cast<int>(initial_level())};
  return slot;
}

}  // namespace

SimdLevel simd_level() { return static_cast<SimdLevel>(level_slot().load(std::memory_order_relaxed)); }

SimdLevel set_simd_level(SimdLevel level) {
  SimdLevel cpu = detect_cpu();
  if (level > cpu) level = cpu;
  return static_cast<SimdLevel>(level_slot().exchange(static_cast<int>(level)));
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return "avx512";
    case SimdLevel::Avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace lowbit
