// gptqQuantize({ type, weights, rows, cols, hessian, blockSize?, damp?, threads? }) -> { data, damp, deadColumns }
// hessianError(type, weights, rows, cols, hessian, data) -> number
#include <string>

#include "bindings.h"
#include "lowbit/gptq.h"

namespace lowbit::binding {
namespace {

const TypeTraits& type_named(Napi::Env env, const Napi::Value& v) {
  const std::string name = v.As<Napi::String>();
  const TypeTraits* t = find_type(name);
  if (!t) throw Napi::Error::New(env, "unknown ggml type '" + name + "'");
  return *t;
}

void check_sizes(Napi::Env env, const Napi::Float32Array& w, const Napi::Float64Array& h, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0 || w.ElementLength() != static_cast<size_t>(rows * cols)) throw Napi::RangeError::New(env, "weights must hold rows × cols values");
  if (h.ElementLength() != static_cast<size_t>(cols * cols)) throw Napi::RangeError::New(env, "hessian must hold cols × cols values");
}

Napi::Value GptqQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  const TypeTraits& type = type_named(env, o.Get("type"));
  auto w = o.Get("weights").As<Napi::Float32Array>();
  auto h = o.Get("hessian").As<Napi::Float64Array>();
  const int64_t rows = o.Get("rows").As<Napi::Number>().Int64Value();
  const int64_t cols = o.Get("cols").As<Napi::Number>().Int64Value();
  check_sizes(env, w, h, rows, cols);
  GptqOptions opt;
  if (o.Get("blockSize").IsNumber()) opt.block = o.Get("blockSize").As<Napi::Number>().Int64Value();
  if (o.Get("damp").IsNumber()) opt.damp = o.Get("damp").As<Napi::Number>().DoubleValue();
  if (o.Get("threads").IsNumber()) opt.threads = std::max(1, o.Get("threads").As<Napi::Number>().Int32Value());
  GptqResult r;
  try {
    r = gptq_quantize(type, w.Data(), rows, cols, h.Data(), opt);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Object out = Napi::Object::New(env);
  auto data = Napi::Uint8Array::New(env, r.data.size());
  std::copy(r.data.begin(), r.data.end(), data.Data());
  out.Set("data", data);
  out.Set("damp", r.damp);
  out.Set("deadColumns", r.dead_columns);
  return out;
}

Napi::Value HessianError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& type = type_named(env, info[0]);
  auto w = info[1].As<Napi::Float32Array>();
  const int64_t rows = info[2].As<Napi::Number>().Int64Value();
  const int64_t cols = info[3].As<Napi::Number>().Int64Value();
  auto h = info[4].As<Napi::Float64Array>();
  auto q = info[5].As<Napi::Uint8Array>();
  check_sizes(env, w, h, rows, cols);
  if (q.ByteLength() != row_size(type, cols) * static_cast<size_t>(rows)) throw Napi::RangeError::New(env, "data does not hold rows × cols values of the type");
  return Napi::Number::New(env, hessian_error(type, w.Data(), rows, cols, h.Data(), q.Data()));
}

}  // namespace

void InitGptq(Napi::Env env, Napi::Object exports) {
  exports.Set("gptqQuantize", Napi::Function::New(env, GptqQuantize));
  exports.Set("hessianError", Napi::Function::New(env, HessianError));
}

}  // namespace lowbit::binding
