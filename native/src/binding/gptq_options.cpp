#include "gptq_options.h"

#include <algorithm>
#include <string>

#include "lowbit/pipeline.h"

namespace lowbit::binding {
namespace {

bool given(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }

void read(Napi::Env env, const Napi::Object& o, const char* key, double& out) {
  const Napi::Value v = o.Get(key);
  if (!given(v)) return;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(key) + " must be a number");
  out = v.As<Napi::Number>().DoubleValue();
}

void read(Napi::Env env, const Napi::Object& o, const char* key, int64_t& out) {
  double d = static_cast<double>(out);
  read(env, o, key, d);
  out = static_cast<int64_t>(d);
}

void read(Napi::Env env, const Napi::Object& o, const char* key, bool& out) {
  const Napi::Value v = o.Get(key);
  if (!given(v)) return;
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string(key) + " must be a boolean");
  out = v.As<Napi::Boolean>().Value();
}

}  // namespace

void read_gptq_options(Napi::Env env, const Napi::Object& o, GptqOptions& opt) {
  read(env, o, "damp", opt.damp);
  read(env, o, "blockSize", opt.block);
  read(env, o, "actOrder", opt.act_order);
  read(env, o, "subblockRefit", opt.refit_subblocks);
  read(env, o, "qepAlpha", opt.qep.alpha);
  read(env, o, "qepLambda", opt.qep.lambda);
  read(env, o, "samples", opt.samples);
  read(env, o, "measure", opt.measure);
  int64_t threads = opt.threads;
  read(env, o, "threads", threads);
  opt.threads = static_cast<int>(std::max<int64_t>(1, threads));
}

Napi::Value GptqDefaults(const Napi::CallbackInfo& info) { return pipeline_gptq_object(info.Env(), PipelineOptions()); }

Napi::Object pipeline_gptq_object(Napi::Env env, const PipelineOptions& d) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("damp", d.gptq.damp);
  out.Set("blockSize", static_cast<double>(d.gptq.block));
  out.Set("actOrder", d.gptq.act_order);
  out.Set("qep", d.qep);
  out.Set("qepAlpha", d.gptq.qep.alpha);
  out.Set("qepLambda", d.gptq.qep.lambda);
  out.Set("subblockRefit", d.gptq.refit_subblocks);
  return out;
}

}  // namespace lowbit::binding
