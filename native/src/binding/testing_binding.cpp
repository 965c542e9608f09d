// The `testing` export: hooks for tests and benchmarks, not product calls.
//   linalgSgemm, linalgDgemmNt, linalgFactor: the GEMM and factorisation kernels against their references
//   linalgRate: a kernel's GFLOP/s on preallocated operands
//   gptqCodecProbe: one block through a GPTQ codec
//   setSimdLevel: forces a SIMD path (clamped to what the CPU runs; returns the level in force)
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "lowbit/gptq_probe.h"
#include "lowbit/linalg.h"
#include "lowbit/simd.h"
#include "lowbit/thread_pool.h"

namespace lowbit::binding {
namespace {
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


// gptqCodecProbe(type, fitValues, importance, targets, refit) -> { data, codes, values, refitted }
Napi::Value GptqCodecProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TypeTraits& type = type_named(env, info[0]);
  auto values = [&](int i, const char* what) {
    auto a = array_of<Napi::Float32Array>(env, info[i], what, napi_float32_array);
    return std::vector<float>(a.Data(), a.Data() + a.ElementLength());
  };
  CodecProbe p;
  try {
    p = gptq_codec_probe(type, values(1, "fitValues"), values(2, "importance"), values(3, "targets"), info[4].ToBoolean());
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  }
  Napi::Object out = Napi::Object::New(env);
  auto data = Napi::Uint8Array::New(env, p.data.size());
  std::copy(p.data.begin(), p.data.end(), data.Data());
  auto codes = Napi::Int32Array::New(env, p.codes.size());
  std::copy(p.codes.begin(), p.codes.end(), codes.Data());
  auto vals = Napi::Float32Array::New(env, p.values.size());
  std::copy(p.values.begin(), p.values.end(), vals.Data());
  out.Set("data", data);
  out.Set("codes", codes);
  out.Set("values", vals);
  out.Set("refitted", p.refitted);
  return out;
}

// setSimdLevel("scalar" | "avx2" | "avx512") -> the level in force, lower than asked when the CPU lacks it
Napi::Value SetSimdLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "setSimdLevel takes 'scalar', 'avx2' or 'avx512'");
  const std::string want = info[0].As<Napi::String>();
  if (want != "scalar" && want != "avx2" && want != "avx512") throw Napi::Error::New(env, "unknown SIMD level '" + want + "'");
  set_simd_level(want == "avx512" ? SimdLevel::Avx512 : want == "avx2" ? SimdLevel::Avx2 : SimdLevel::Scalar);
  return Napi::String::New(env, simd_level_name(simd_level()));
}

}  // namespace

void InitTesting(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("linalgSgemm", Napi::Function::New(env, LinalgSgemm));
  t.Set("linalgDgemmNt", Napi::Function::New(env, LinalgDgemmNt));
  t.Set("linalgFactor", Napi::Function::New(env, LinalgFactor));
  t.Set("linalgRate", Napi::Function::New(env, LinalgRate));
  t.Set("gptqCodecProbe", Napi::Function::New(env, GptqCodecProbe));
  t.Set("setSimdLevel", Napi::Function::New(env, SetSimdLevel));
  exports.Set("testing", t);
}

}  // namespace lowbit::binding
