// Synchronous block-format calls on small in-memory arrays (tests, tools). Model-sized work
// goes through the engine's asynchronous calls instead.
#include <string>

#include "args.h"
#include "bindings.h"
#include "lowbit/formats.h"
#include "lowbit/simd.h"

namespace lowbit::binding {
namespace {

// typeInfo() -> every registered type in ggml_type order; codec: false for geometry-only entries
Napi::Value TypeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto types = all_type_layouts();
  Napi::Array out = Napi::Array::New(env, types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", static_cast<double>(types[i]->type));
    o.Set("name", types[i]->name);
    o.Set("blockSize", static_cast<double>(types[i]->block_size));
    o.Set("typeSize", static_cast<double>(types[i]->type_size));
    o.Set("quantized", types[i]->is_quantized);
    o.Set("codec", types[i]->has_codec());
    o.Set("simdQuantize", types[i]->quantize_simd != nullptr);
    o.Set("simdDequantize", types[i]->dequantize_simd != nullptr);
    out.Set(i, o);
  }
  return out;
}

// quantize(type, src: Float32Array, nrows, nPerRow, importance?: Float32Array|null) -> Uint8Array
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& t = type_named(env, info[0]);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, "src must be a Float32Array");
  auto src = info[1].As<Napi::Float32Array>();
  const int64_t nrows = info[2].As<Napi::Number>().Int64Value();
  const int64_t n_per_row = info[3].As<Napi::Number>().Int64Value();
  if (nrows < 0 || n_per_row <= 0 || static_cast<uint64_t>(nrows * n_per_row) != src.ElementLength())
    throw Napi::RangeError::New(env, "nrows * nPerRow must equal the length of src");
  const float* importance = nullptr;
  if (info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined()) {
    auto imp = info[4].As<Napi::Float32Array>();
    if (imp.ElementLength() != static_cast<size_t>(n_per_row))
      throw Napi::RangeError::New(env, "importance must hold nPerRow values");
    importance = imp.Data();
  }
  size_t rs;
  try { rs = row_size(t, n_per_row); } catch (const std::exception& e) { throw Napi::RangeError::New(env, e.what()); }
  auto out = Napi::Uint8Array::New(env, rs * static_cast<size_t>(nrows));
  quantize_rows(t, src.Data(), out.Data(), nrows, n_per_row, importance);
  return out;
}

// dequantize(type, src: Uint8Array, n) -> Float32Array
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& t = type_named(env, info[0]);
  auto src = info[1].As<Napi::Uint8Array>();
  const int64_t n = info[2].As<Napi::Number>().Int64Value();
  size_t rs;
  try { rs = row_size(t, n); } catch (const std::exception& e) { throw Napi::RangeError::New(env, e.what()); }
  if (src.ByteLength() < rs) throw Napi::RangeError::New(env, "src is shorter than n elements of this type");
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(n));
  dequantize_row(t, src.Data(), out.Data(), n);
  return out;
}

Napi::Value GetSimdLevel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), simd_level_name(simd_level()));
}

}  // namespace

void InitFormats(Napi::Env env, Napi::Object exports) {
  exports.Set("typeInfo", Napi::Function::New(env, TypeInfo));
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("simdLevel", Napi::Function::New(env, GetSimdLevel));
}

}  // namespace lowbit::binding
