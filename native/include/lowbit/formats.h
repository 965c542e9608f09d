// The ggml block formats: one traits entry per type, registered by the file that implements it.
// Every quantizer here must be byte-identical to ggml's (tests compare with ../shared/golden).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lowbit {

// ggml_type enum values (they are stored in GGUF files).
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

// Expands n = whole blocks of `src` into floats.
using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
// Quantizes nrows rows of n_per_row floats (n_per_row a multiple of the block size) as
// ggml's quantize_<type>() does: importance == nullptr gives llama.cpp's plain (no imatrix)
// output, otherwise importance holds n_per_row weights, one per input column.
using QuantizeFn = void (*)(const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                            const float* importance);

struct TypeTraits {
  GgmlType type;
  const char* name;
  int64_t block_size;    // elements per block
  size_t type_size;      // bytes per block
  bool is_quantized;
  DequantizeRowFn dequantize_ref;
  DequantizeRowFn dequantize_simd;  // nullptr: the reference is used
  QuantizeFn quantize_ref;
  QuantizeFn quantize_simd;         // nullptr: the reference is used; must give identical bytes
  // false for geometry-only entries (no quantizer, no dequantizer): types a GGUF file may hold whose
  // sizes the engine knows but which it cannot convert
  bool has_codec() const { return dequantize_ref != nullptr && quantize_ref != nullptr; }
};

// Registration happens from static initialisers in each format's .cpp (LOWBIT_REGISTER_TYPE).
bool register_type(const TypeTraits& traits);
// The types the engine converts (has_codec()); geometry-only entries are not found here.
const TypeTraits* find_type(GgmlType type);
const TypeTraits* find_type(const std::string& name);
std::vector<const TypeTraits*> all_types();
// Every registered type, geometry-only entries included, in ggml_type order.
std::vector<const TypeTraits*> all_type_layouts();

// Bytes of one row of n elements; throws std::invalid_argument when n is not a whole number of blocks.
size_t row_size(const TypeTraits& t, int64_t n);

// Dispatch helpers that pick the SIMD path when the CPU and LOWBIT_SIMD allow it.
void dequantize_row(const TypeTraits& t, const void* src, float* dst, int64_t n);
void quantize_rows(const TypeTraits& t, const float* src, void* dst, int64_t nrows, int64_t n_per_row,
                   const float* importance);

}  // namespace lowbit

#define LOWBIT_CONCAT_INNER(a, b) a##b
#define LOWBIT_CONCAT(a, b) LOWBIT_CONCAT_INNER(a, b)
#define LOWBIT_REGISTER_TYPE(...) \
  static const bool LOWBIT_CONCAT(lowbit_registered_, __LINE__) = ::lowbit::register_type(__VA_ARGS__)
