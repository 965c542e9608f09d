#include <algorithm>
#include <stdexcept>

#include "lowbit/formats.h"
#include "lowbit/simd.h"

namespace lowbit {
namespace {
std::vector<TypeTraits>& table() {
  static std::vector<TypeTraits> types;
  return types;
}
}  // namespace

bool register_type(const TypeTraits& traits) {
  table().push_back(traits);
  return true;
}

const TypeTraits* find_type(GgmlType type) {
  for (const auto& t : table())
    if (t.type == type && t.has_codec()) return &t;
  return nullptr;
}

const TypeTraits* find_type(const std::string& name) {
  for (const auto& t : table())
    if (name == t.name && t.has_codec()) return &t;
  return nullptr;
}

std::vector<const TypeTraits*> all_types() {
  std::vector<const TypeTraits*> out;
  for (const auto& t : table())
    if (t.has_codec()) out.push_back(&t);
  return out;
}

std::vector<const TypeTraits*> all_type_layouts() {
  std::vector<const TypeTraits*> out;
  for (const auto& t : table()) out.push_back(&t);
  std::sort(out.begin(), out.end(), [](const TypeTraits* a, const TypeTraits* b) { return a->type < b->type; });
  return out;
}

size_t row_size(const TypeTraits& t, int64_t n) {
  if (n < 0 || n % t.block_size != 0)
    throw std::invalid_argument(std::string("row of ") + std::to_string(n) + " elements is not a whole number of " +
                                t.name + " blocks (" + std::to_string(t.block_size) + " elements each)");
  return static_cast<size_t>(n / t.block_size) * t.type_size;
}

void dequantize_row(const TypeTraits& t, const void* src, float* dst, int64_t n) {
  if (t.dequantize_simd && simd_level() != SimdLevel::Scalar) t.dequantize_simd(src, dst, n);
  else t.dequantize_ref(src, dst, n);
}

void quantize_rows(const TypeTraits& t, const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                   const float* importance) {
  row_size(t, n_per_row);  // validates the row width
  if (t.quantize_simd && !importance && simd_level() != SimdLevel::Scalar)
    t.quantize_simd(src, dst, nrows, n_per_row, importance);
  else
    t.quantize_ref(src, dst, nrows, n_per_row, importance);
}

}  // namespace lowbit
