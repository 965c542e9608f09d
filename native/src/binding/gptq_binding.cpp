// gptqQuantize(options) -> { data, error, rtnError, damp, qepLambda, seconds, … } (sync)
// gptqQuantizeAsync(options, onProgress?) -> { promise, cancel } (the same off the JS thread)
// gptqDefaults() -> the option values used when a field is left out
// hessianAccumulate(h, x, rows, cols, threads?) -> rows added;  weightedError(type, weights, rows, cols, hessian, data, threads?)
// linalg* and gptqCodecProbe: the numeric pieces, exposed for tests.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "../core/gptq/codec.h"
#include "args.h"
#include "async_job.h"
#include "bindings.h"
#include "gptq_options.h"
#include "lowbit/gptq.h"
#include "lowbit/linalg.h"

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

// --- test hooks ---

// linalgSgemm(a, b, m, n, k, { reference?, threads?, alpha?, c? }) -> C (= c + alpha·A·B)
Napi::Value LinalgSgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto a = array_of<Napi::Float32Array>(env, info[0], "a", napi_float32_array);
  auto b = array_of<Napi::Float32Array>(env, info[1], "b", napi_float32_array);
  const int64_t m = int_of(env, info[2], "m"), n = int_of(env, info[3], "n"), k = int_of(env, info[4], "k");
  Napi::Object o = info[5].IsObject() ? info[5].As<Napi::Object>() : Napi::Object::New(env);
  if (a.ElementLength() != static_cast<size_t>(m * k) || b.ElementLength() != static_cast<size_t>(k * n)) throw Napi::RangeError::New(env, "bad sizes");
  auto c = Napi::Float32Array::New(env, static_cast<size_t>(m * n));
  if (o.Get("c").IsTypedArray()) {
    auto c0 = o.Get("c").As<Napi::Float32Array>();
    if (c0.ElementLength() != static_cast<size_t>(m * n)) throw Napi::RangeError::New(env, "bad sizes");
    std::copy(c0.Data(), c0.Data() + m * n, c.Data());
  }
  const float alpha = o.Get("alpha").IsNumber() ? o.Get("alpha").As<Napi::Number>().FloatValue() : 1.f;
  if (o.Get("reference").ToBoolean()) {
    linalg::sgemm_ref(m, n, k, alpha, a.Data(), k, b.Data(), n, c.Data(), n);
  } else {
    ThreadPool pool(o.Get("threads").IsNumber() ? std::max(1, o.Get("threads").As<Napi::Number>().Int32Value()) : 1);
    linalg::sgemm(m, n, k, alpha, a.Data(), k, b.Data(), n, c.Data(), n, &pool);
  }
  return c;
}

// linalgDgemmNt(a, b, m, n, k, { reference?, threads?, lower? }) -> A·Bᵀ
Napi::Value LinalgDgemmNt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto a = array_of<Napi::Float64Array>(env, info[0], "a", napi_float64_array);
  auto b = array_of<Napi::Float64Array>(env, info[1], "b", napi_float64_array);
  const int64_t m = int_of(env, info[2], "m"), n = int_of(env, info[3], "n"), k = int_of(env, info[4], "k");
  Napi::Object o = info[5].IsObject() ? info[5].As<Napi::Object>() : Napi::Object::New(env);
  if (a.ElementLength() != static_cast<size_t>(m * k) || b.ElementLength() != static_cast<size_t>(n * k)) throw Napi::RangeError::New(env, "bad sizes");
  auto c = Napi::Float64Array::New(env, static_cast<size_t>(m * n));
  std::fill(c.Data(), c.Data() + m * n, 0.0);
  if (o.Get("reference").ToBoolean()) {
    linalg::dgemm_nt_ref(m, n, k, 1.0, a.Data(), k, b.Data(), k, c.Data(), n);
  } else {
    ThreadPool pool(o.Get("threads").IsNumber() ? std::max(1, o.Get("threads").As<Napi::Number>().Int32Value()) : 1);
    linalg::dgemm_nt(m, n, k, 1.0, a.Data(), k, b.Data(), k, c.Data(), n, &pool, o.Get("lower").ToBoolean());
  }
  return c;
}

// linalgFactor(h, n, kind: 'cholesky' | 'upperInverse' | 'inverse', shift?, threads?) -> Float64Array | null (not SPD)
Napi::Value LinalgFactor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto h = array_of<Napi::Float64Array>(env, info[0], "h", napi_float64_array);
  const int64_t n = int_of(env, info[1], "n");
  const std::string kind = info[2].ToString();
  const double shift = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0.0;
  ThreadPool pool(info[4].IsNumber() ? std::max(1, info[4].As<Napi::Number>().Int32Value()) : 1);
  if (n <= 0 || h.ElementLength() != static_cast<size_t>(n * n)) throw Napi::RangeError::New(env, "h must be n × n");
  std::vector<double> out;
  bool ok;
  if (kind == "cholesky") {
    out.assign(h.Data(), h.Data() + n * n);
    for (int64_t i = 0; i < n; ++i) out[i * n + i] += shift;
    ok = linalg::cholesky_lower(out.data(), n, &pool);
  } else if (kind == "upperInverse") {
    ok = linalg::upper_cholesky_of_inverse(h.Data(), n, shift, out, &pool);
  } else if (kind == "inverse") {
    ok = linalg::spd_inverse(h.Data(), n, shift, out, &pool);
  } else {
    throw Napi::Error::New(env, "unknown factorisation " + kind);
  }
  if (!ok) return env.Null();
  auto r = Napi::Float64Array::New(env, out.size());
  std::copy(out.begin(), out.end(), r.Data());
  return r;
}

// linalgRate(kind: 'sgemm' | 'dgemmNt' | 'syrk', m, n, k, threads?, runs?) -> GFLOP/s (median of runs,
// preallocated operands, so that the figure is the kernel's and not the allocator's)
Napi::Value LinalgRate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kind = info[0].ToString();
  const int64_t m = int_of(env, info[1], "m"), n = int_of(env, info[2], "n"), k = int_of(env, info[3], "k");
  ThreadPool pool(info[4].IsNumber() ? std::max(1, info[4].As<Napi::Number>().Int32Value()) : 1);
  const int runs = info[5].IsNumber() ? std::max(1, info[5].As<Napi::Number>().Int32Value()) : 3;
  if (m <= 0 || n <= 0 || k <= 0) throw Napi::RangeError::New(env, "bad sizes");
  std::vector<double> times;
  double flops = 2.0 * m * n * k;
  if (kind == "sgemm") {
    std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n, 0.f);
    for (int r = 0; r <= runs; ++r) {
      const auto t = std::chrono::steady_clock::now();
      linalg::sgemm(m, n, k, -1.f, a.data(), k, b.data(), n, c.data(), n, &pool);
      if (r) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    }
  } else if (kind == "dgemmNt" || kind == "syrk") {
    const bool lower = kind == "syrk";
    if (lower) flops = 1.0 * m * m * k;
    std::vector<double> a(m * k, 0.5), b(n * k, 0.25), c(m * n, 0.0);
    for (int r = 0; r <= runs; ++r) {
      const auto t = std::chrono::steady_clock::now();
      linalg::dgemm_nt(m, lower ? m : n, k, -1.0, a.data(), k, lower ? a.data() : b.data(), k, c.data(), lower ? m : n, &pool, lower);
      if (r) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    }
  } else {
    throw Napi::Error::New(env, "unknown kernel " + kind);
  }
  std::sort(times.begin(), times.end());
  return Napi::Number::New(env, flops / times[times.size() / 2] / 1e9);
}

// gptqCodecProbe(type, fitValues, importance, targets, refit) -> { data, codes, values, refitted }:
// the block fitted on fitValues, then (refit: every k-quant sub-block's scale refitted on targets)
// each element i set to the projection of targets[i].
Napi::Value GptqCodecProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& type = type_named(env, info[0]);
  const gptq::BlockCodec* codec = gptq::BlockCodec::find(type.type);
  if (!codec) throw Napi::Error::New(env, std::string("GPTQ does not support ") + type.name + " yet");
  auto fit = array_of<Napi::Float32Array>(env, info[1], "fitValues", napi_float32_array);
  auto imp = array_of<Napi::Float32Array>(env, info[2], "importance", napi_float32_array);
  auto targets = array_of<Napi::Float32Array>(env, info[3], "targets", napi_float32_array);
  const bool refit = info[4].ToBoolean();
  const size_t bs = static_cast<size_t>(codec->block_size());
  if (fit.ElementLength() != bs || imp.ElementLength() != bs || targets.ElementLength() != bs) throw Napi::RangeError::New(env, "one block of values each");
  auto data = Napi::Uint8Array::New(env, codec->block_bytes());
  BlockMap map;
  codec->fit(fit.Data(), imp.Data(), data.Data(), map);
  int refitted = 0;
  if (refit && codec->has_subscales()) {
    std::vector<float> ones(bs, 1.f);
    for (int g = 0; g < codec->block_size() / codec->group_size(); ++g)
      refitted += codec->refit_group(data.Data(), map, g, targets.Data() + g * codec->group_size(), ones.data());
  }
  auto codes = Napi::Int32Array::New(env, bs);
  auto values = Napi::Float32Array::New(env, bs);
  for (size_t i = 0; i < bs; ++i) {
    float v;
    codes[i] = codec->project(map, static_cast<int>(i), targets[i], &v);
    values[i] = v;
    codec->write(data.Data(), static_cast<int>(i), codes[i]);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  out.Set("codes", codes);
  out.Set("values", values);
  out.Set("refitted", refitted);
  return out;
}

}  // namespace

void InitGptq(Napi::Env env, Napi::Object exports) {
  exports.Set("gptqQuantize", Napi::Function::New(env, GptqQuantize));
  exports.Set("gptqQuantizeAsync", Napi::Function::New(env, GptqQuantizeAsync));
  exports.Set("weightedError", Napi::Function::New(env, WeightedError));
  exports.Set("hessianAccumulate", Napi::Function::New(env, HessianAccumulate));
  exports.Set("gptqDefaults", Napi::Function::New(env, GptqDefaults));
  exports.Set("linalgSgemm", Napi::Function::New(env, LinalgSgemm));
  exports.Set("linalgDgemmNt", Napi::Function::New(env, LinalgDgemmNt));
  exports.Set("linalgFactor", Napi::Function::New(env, LinalgFactor));
  exports.Set("linalgRate", Napi::Function::New(env, LinalgRate));
  exports.Set("gptqCodecProbe", Napi::Function::New(env, GptqCodecProbe));
}

}  // namespace lowbit::binding
