// gptqQuantize(options) -> { data, error, rtnError, damp, qepLambda, seconds, … } (sync)
// gptqQuantizeAsync(options, onProgress?) -> { promise, cancel } (the same off the JS thread)
// gptqDefaults() -> the option values used when a field is left out
// hessianAccumulate(h, x, rows, cols, threads?) -> rows added;  weightedError(type, weights, rows, cols, hessian, data, threads?)
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "async_job.h"
#include "bindings.h"
#include "gptq_options.h"
#include "lowbit/gptq.h"

namespace lowbit::binding {
namespace {

void check_sizes(Napi::Env env, size_t w, size_t h, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0 || w != static_cast<size_t>(rows * cols)) throw Napi::RangeError::New(env, "weights must hold rows × cols values");
  if (h != static_cast<size_t>(cols * cols)) throw Napi::RangeError::New(env, "hessian must hold cols × cols values");
}

// Inputs copied out of JS, so that the work may run on another thread.
struct GptqJob {
  const TypeTraits* type = nullptr;
  std::vector<float> w;
  std::vector<double> h, hdelta;
  int64_t rows = 0, cols = 0;
  GptqOptions opt;
};

GptqJob parse_job(Napi::Env env, const Napi::Value& arg) {
  if (!arg.IsObject()) throw Napi::TypeError::New(env, "gptqQuantize takes an options object");
  Napi::Object o = arg.As<Napi::Object>();
  GptqJob j;
  j.type = &type_named(env, o.Get("type"));
  auto w = array_of<Napi::Float32Array>(env, o.Get("weights"), "weights", napi_float32_array);
  auto h = array_of<Napi::Float64Array>(env, o.Get("hessian"), "hessian", napi_float64_array);
  j.rows = int_of(env, o.Get("rows"), "rows");
  j.cols = int_of(env, o.Get("cols"), "cols");
  check_sizes(env, w.ElementLength(), h.ElementLength(), j.rows, j.cols);
  j.w.assign(w.Data(), w.Data() + w.ElementLength());
  j.h.assign(h.Data(), h.Data() + h.ElementLength());
  read_gptq_options(env, o, j.opt);
  if (o.Get("qep").IsObject()) {
    Napi::Object q = o.Get("qep").As<Napi::Object>();
    if (!q.Get("alpha").IsUndefined() || !q.Get("lambda").IsUndefined())
      throw Napi::TypeError::New(env, "give QEP's α and λ as qepAlpha and qepLambda beside qep");
    auto hd = array_of<Napi::Float64Array>(env, q.Get("hdelta"), "qep.hdelta", napi_float64_array);
    if (hd.ElementLength() != static_cast<size_t>(j.cols * j.cols)) throw Napi::RangeError::New(env, "qep.hdelta must hold cols × cols values");
    j.hdelta.assign(hd.Data(), hd.Data() + hd.ElementLength());
  }
  return j;
}

GptqResult run_job(GptqJob& j) {
  if (!j.hdelta.empty()) j.opt.qep.hdelta = j.hdelta.data();
  return gptq_quantize(*j.type, j.w.data(), j.rows, j.cols, j.h.data(), j.opt);
}

Napi::Object result_object(Napi::Env env, const GptqResult& r) {
  Napi::Object out = Napi::Object::New(env);
  auto data = Napi::Uint8Array::New(env, r.data.size());
  std::copy(r.data.begin(), r.data.end(), data.Data());
  out.Set("data", data);
  out.Set("error", r.error >= 0 ? Napi::Number::New(env, r.error) : env.Null());
  out.Set("rtnError", r.rtn_error >= 0 ? Napi::Number::New(env, r.rtn_error) : env.Null());
  out.Set("damp", r.damp);
  out.Set("qepLambda", r.qep_lambda);
  out.Set("deadColumns", r.dead_columns);
  out.Set("refits", static_cast<double>(r.refits));
  out.Set("seconds", r.seconds);
  out.Set("factorSeconds", r.factor_seconds);
  out.Set("updateSeconds", r.update_seconds);
  return out;
}

Napi::Value GptqQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GptqJob job = parse_job(env, info[0]);
  GptqResult r;
  try {
    r = run_job(job);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return result_object(env, r);
}

Napi::Value GptqQuantizeAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<GptqJob>(parse_job(env, info[0]));
  auto result = std::make_shared<GptqResult>();
  return AsyncJob::Start(
      env, info[1],
      [job, result](JobContext& ctx) {
        job->opt.cancel = ctx.cancel.get();
        job->opt.progress = ctx.report;
        *result = run_job(*job);
      },
      [result](Napi::Env e) -> Napi::Value { return result_object(e, *result); });
}

Napi::Value WeightedError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& type = type_named(env, info[0]);
  auto w = array_of<Napi::Float32Array>(env, info[1], "weights", napi_float32_array);
  const int64_t rows = int_of(env, info[2], "rows"), cols = int_of(env, info[3], "cols");
  auto h = array_of<Napi::Float64Array>(env, info[4], "hessian", napi_float64_array);
  auto q = array_of<Napi::Uint8Array>(env, info[5], "data", napi_uint8_array);
  const int threads = info[6].IsNumber() ? std::max(1, info[6].As<Napi::Number>().Int32Value()) : 1;
  check_sizes(env, w.ElementLength(), h.ElementLength(), rows, cols);
  if (cols % type.block_size != 0 || q.ByteLength() != row_size(type, cols) * static_cast<size_t>(rows))
    throw Napi::RangeError::New(env, "data does not hold rows × cols values of the type");
  return Napi::Number::New(env, weighted_error(type, w.Data(), rows, cols, h.Data(), q.Data(), threads));
}

Napi::Value HessianAccumulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = array_of<Napi::Float64Array>(env, info[0], "h", napi_float64_array);
  auto x = array_of<Napi::Float32Array>(env, info[1], "x", napi_float32_array);
  const int64_t rows = int_of(env, info[2], "rows"), cols = int_of(env, info[3], "cols");
  const int threads = info[4].IsNumber() ? std::max(1, info[4].As<Napi::Number>().Int32Value()) : 1;
  if (rows < 0 || cols <= 0 || x.ElementLength() != static_cast<size_t>(rows * cols)) throw Napi::RangeError::New(env, "x must hold rows × cols values");
  if (h.ElementLength() != static_cast<size_t>(cols * cols)) throw Napi::RangeError::New(env, "h must hold cols × cols values");
  hessian_accumulate(h.Data(), x.Data(), rows, cols, threads);
  return Napi::Number::New(env, static_cast<double>(rows));
}

}  // namespace

void InitGptq(Napi::Env env, Napi::Object exports) {
  exports.Set("gptqQuantize", Napi::Function::New(env, GptqQuantize));
  exports.Set("gptqQuantizeAsync", Napi::Function::New(env, GptqQuantizeAsync));
  exports.Set("weightedError", Napi::Function::New(env, WeightedError));
  exports.Set("hessianAccumulate", Napi::Function::New(env, HessianAccumulate));
  exports.Set("gptqDefaults", Napi::Function::New(env, GptqDefaults));
}

}  // namespace lowbit::binding
