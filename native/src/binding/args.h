// Checked reads of JS arguments shared by the binding files.
#pragma once
#include <napi.h>

#include <string>

#include "lowbit/formats.h"

namespace lowbit::binding {

// A type the engine converts; geometry-only types are refused by name.
inline const TypeTraits& type_named(Napi::Env env, const Napi::Value& v) {
  if (!v.IsString()) throw Napi::TypeError::New(env, "type must be a ggml type name");
  const std::string name = v.As<Napi::String>();
  const TypeTraits* t = find_type(name);
  if (t) return *t;
  for (const TypeTraits* known : all_type_layouts())
    if (name == known->name) throw Napi::Error::New(env, "the engine does not quantize or dequantize " + name);
  throw Napi::Error::New(env, "unknown ggml type '" + name + "'");
}

inline int64_t int_of(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

template <typename Array>
Array array_of(Napi::Env env, const Napi::Value& v, const char* what, napi_typedarray_type kind) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kind)
    throw Napi::TypeError::New(env, std::string(what) + " has the wrong array type");
  return v.As<Array>();
}

}  // namespace lowbit::binding
