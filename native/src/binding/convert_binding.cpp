// convertTensors(outPath, jobs, { threads }, onProgress?) -> { promise, cancel }
#include <memory>
#include <string>
#include <vector>

#include "async_job.h"
#include "bindings.h"
#include "lowbit/convert.h"

namespace lowbit::binding {
namespace {

int64_t int_field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("convert job: ") + key + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

std::string str_field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("convert job: ") + key + " must be a string");
  return v.As<Napi::String>();
}

}  // namespace

std::vector<ConvertJob> parse_convert_jobs(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(env, "jobs must be an array");
  Napi::Array arr = value.As<Napi::Array>();
  std::vector<ConvertJob> jobs;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Object o = arr.Get(i).As<Napi::Object>();
    ConvertJob j;
    j.name = str_field(o, "name");
    j.src_file = str_field(o, "srcFile");
    j.src_offset = static_cast<uint64_t>(int_field(o, "srcOffset"));
    j.src_type = str_field(o, "srcType");
    j.ne0 = int_field(o, "ne0");
    j.nrows = int_field(o, "nrows");
    j.dst_type = str_field(o, "dstType");
    j.dst_offset = static_cast<uint64_t>(int_field(o, "dstOffset"));
    Napi::Value imp = o.Get("importance");
    if (imp.IsTypedArray()) {
      auto f = imp.As<Napi::Float32Array>();
      j.importance.assign(f.Data(), f.Data() + f.ElementLength());
    }
    Napi::Value order = o.Get("rowOrder");
    if (order.IsTypedArray()) {
      auto a = order.As<Napi::Int32Array>();
      j.row_order.assign(a.Data(), a.Data() + a.ElementLength());
    }
    jobs.push_back(std::move(j));
  }
  return jobs;
}

namespace {

Napi::Value ConvertTensors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsArray()) throw Napi::TypeError::New(env, "convertTensors(outPath, jobs, options, onProgress?)");
  const std::string out_path = info[0].As<Napi::String>();
  auto jobs = std::make_shared<std::vector<ConvertJob>>(parse_convert_jobs(env, info[1]));
  int threads = 1;
  if (info[2].IsObject()) {
    Napi::Value t = info[2].As<Napi::Object>().Get("threads");
    if (t.IsNumber()) threads = std::max(1, t.As<Napi::Number>().Int32Value());
  }
  return AsyncJob::Start(
      env, info[3],
      [out_path, jobs, threads](JobContext& ctx) {
        ConvertOptions opt;
        opt.threads = threads;
        opt.cancel = ctx.cancel.get();
        opt.progress = [&ctx](uint64_t done, uint64_t total) { ctx.report(static_cast<double>(done), static_cast<double>(total)); };
        convert_tensors(out_path, *jobs, opt);
      },
      [](Napi::Env env) { return env.Undefined(); });
}

}  // namespace

void InitConvert(Napi::Env env, Napi::Object exports) {
  exports.Set("convertTensors", Napi::Function::New(env, ConvertTensors));
}

}  // namespace lowbit::binding
