// The CUDA part of the engine (native/src/cuda), linked when the addon is built with LOWBIT_CUDA=ON:
//   cudaInfo() -> { built, devices, device?, error? }
//   experimental.cudaGptq({ type: 'Q4_0' | 'Q8_0', weights, rows, cols, hessian, damp? }) -> { data, seconds,
//     factorSeconds, updateSeconds } (sync; the Hessian normalised as GPTQ uses it). Without CUDA it throws.
//     Experimental: a GPU-only path that no product call (`--method gptq` included) uses.
#include <chrono>
#include <string>

#include "args.h"
#include "bindings.h"
#include "lowbit/gptq.h"

#ifdef LOWBIT_WITH_CUDA
#include "../cuda/lowbit_cuda.h"
#endif

namespace lowbit::binding {
namespace {

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef LOWBIT_WITH_CUDA
  o.Set("built", true);
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    o.Set("devices", 0);
    o.Set("error", std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err));
    return o;
  }
  o.Set("devices", count);
  cudaDeviceProp prop{};
  if (count > 0 && cudaGetDeviceProperties(&prop, 0) == cudaSuccess) o.Set("device", std::string(prop.name));
#else
  o.Set("built", false);
  o.Set("devices", 0);
#endif
  return o;
}

Napi::Value CudaGptq(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef LOWBIT_WITH_CUDA
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "cudaGptq takes an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const TypeTraits& type = type_named(env, o.Get("type"));
  if (type.type != GgmlType::Q4_0 && type.type != GgmlType::Q8_0)
    throw Napi::Error::New(env, std::string("CUDA GPTQ has grids for Q4_0 and Q8_0, not ") + type.name);
  auto w = array_of<Napi::Float32Array>(env, o.Get("weights"), "weights", napi_float32_array);
  auto h = array_of<Napi::Float64Array>(env, o.Get("hessian"), "hessian", napi_float64_array);
  const int64_t rows = int_of(env, o.Get("rows"), "rows"), cols = int_of(env, o.Get("cols"), "cols");
  if (rows <= 0 || cols <= 0 || w.ElementLength() != static_cast<size_t>(rows * cols) || h.ElementLength() != static_cast<size_t>(cols * cols))
    throw Napi::RangeError::New(env, "weights must hold rows × cols values and hessian cols × cols");
  const double damp = o.Get("damp").IsNumber() ? o.Get("damp").As<Napi::Number>().DoubleValue() : GptqOptions{}.damp;
  auto out = Napi::Uint8Array::New(env, static_cast<size_t>(rows * cols / type.block_size) * type.type_size);
  LowbitCudaGptqTimes times{};
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = lowbit_cuda_gptq(static_cast<int>(type.type), w.Data(), static_cast<int>(rows), static_cast<int>(cols), h.Data(),
                                  damp, out.Data(), &times);
  if (rc != 0) throw Napi::Error::New(env, std::string("CUDA GPTQ failed: ") + lowbit_cuda_error());
  Napi::Object r = Napi::Object::New(env);
  r.Set("data", out);
  r.Set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  r.Set("factorSeconds", times.factor_seconds);
  r.Set("updateSeconds", times.update_seconds);
  return r;
#else
  throw Napi::Error::New(env, "this engine was built without CUDA (rebuild with LOWBIT_CUDA=ON npm run build:native, nvcc on PATH)");
#endif
}

}  // namespace

void InitCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  Napi::Object experimental = Napi::Object::New(env);
  experimental.Set("cudaGptq", Napi::Function::New(env, CudaGptq));
  exports.Set("experimental", experimental);
}

}  // namespace lowbit::binding
