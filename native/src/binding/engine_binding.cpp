// Model handles and evaluation: openModel(desc) -> handle, closeModel(handle),
// logits(handle, tokens, threads) -> Float32Array, evaluate(handle, tokens, opts, onProgress)
// -> { promise, cancel }.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "async_job.h"
#include "bindings.h"
#include "gptq_options.h"
#include "lowbit/calibrate.h"
#include "lowbit/evaluate.h"
#include "lowbit/model.h"
#include "lowbit/pipeline.h"
#include "lowbit/sensitivity.h"

namespace lowbit::binding {
namespace {

using ModelPtr = std::shared_ptr<Model>;

double num(const Napi::Object& o, const char* key, double fallback = NAN) {
  Napi::Value v = o.Get(key);
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (std::isnan(fallback)) throw Napi::TypeError::New(o.Env(), std::string("model description: ") + key + " must be a number");
  return fallback;
}

std::string str(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("model description: ") + key + " must be a string");
  return v.As<Napi::String>();
}

Hparams read_hparams(const Napi::Object& h) {
  Hparams hp;
  hp.architecture = str(h, "architecture");
  hp.n_vocab = static_cast<int64_t>(num(h, "nVocab"));
  hp.n_embd = static_cast<int64_t>(num(h, "nEmbd"));
  hp.n_ff = static_cast<int64_t>(num(h, "nFf"));
  hp.n_layer = static_cast<int64_t>(num(h, "nLayer"));
  hp.n_head = static_cast<int64_t>(num(h, "nHead"));
  hp.n_head_kv = static_cast<int64_t>(num(h, "nHeadKv"));
  hp.head_dim = static_cast<int64_t>(num(h, "headDim"));
  hp.rope_dim = static_cast<int64_t>(num(h, "ropeDim"));
  hp.rms_eps = static_cast<float>(num(h, "rmsEps"));
  hp.rope_base = static_cast<float>(num(h, "ropeBase"));
  hp.rope_neox = str(h, "ropeType") == "neox";
  Napi::Value s = h.Get("ropeScaling");
  if (s.IsObject()) {
    const std::string type = str(s.As<Napi::Object>(), "type");
    const double factor = num(s.As<Napi::Object>(), "factor", 1);
    if (type == "linear" && factor > 0) hp.rope_freq_scale = static_cast<float>(1 / factor);
    else if (type != "none" && type != "linear") throw Napi::Error::New(h.Env(), "RoPE scaling '" + type + "' is not supported by the engine yet");
  }
  return hp;
}

const ModelPtr& handle(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a model handle from openModel");
  auto* p = v.As<Napi::External<ModelPtr>>().Data();
  if (!*p) throw Napi::Error::New(v.Env(), "the model was closed");
  return *p;
}

std::vector<int32_t> tokens_arg(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(v.Env(), "tokens must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

// Options shared by the chunked runs (evaluation, imatrix).
template <typename Options>
void read_chunk_options(const Napi::Object& o, Options& opt) {
  opt.n_ctx = static_cast<int64_t>(num(o, "nCtx", 512));
  opt.threads = std::max(1, static_cast<int>(num(o, "threads", 1)));
  opt.bos = static_cast<int32_t>(num(o, "bos", -1));
  opt.add_bos = !o.Get("addBos").IsBoolean() || o.Get("addBos").As<Napi::Boolean>().Value();
}

Napi::Value OpenModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "openModel(description)");
  Napi::Object d = info[0].As<Napi::Object>();
  Hparams hp = read_hparams(d.Get("hparams").As<Napi::Object>());
  std::vector<TensorDesc> tensors;
  Napi::Array arr = d.Get("tensors").As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Object t = arr.Get(i).As<Napi::Object>();
    TensorDesc td;
    td.name = str(t, "name");
    td.type = str(t, "type");
    td.file = str(t, "file");
    td.offset = static_cast<uint64_t>(num(t, "offset"));
    td.nbytes = static_cast<uint64_t>(num(t, "nbytes"));
    Napi::Array ne = t.Get("ne").As<Napi::Array>();
    for (uint32_t k = 0; k < ne.Length(); ++k) td.ne.push_back(static_cast<int64_t>(ne.Get(k).As<Napi::Number>().Int64Value()));
    tensors.push_back(std::move(td));
  }
  ModelPtr model;
  try {
    model = std::make_shared<Model>(hp, tensors);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return Napi::External<ModelPtr>::New(env, new ModelPtr(std::move(model)), [](Napi::Env, ModelPtr* p) { delete p; });
}

Napi::Value CloseModel(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) info[0].As<Napi::External<ModelPtr>>().Data()->reset();
  return info.Env().Undefined();
}

Napi::Value Logits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ModelPtr& m = handle(info[0]);
  std::vector<int32_t> tokens = tokens_arg(info[1]);
  const int threads = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 1;
  std::vector<float> out;
  try {
    out = sequence_logits(*m, tokens, std::max(1, threads));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  auto arr = Napi::Float32Array::New(env, out.size());
  std::copy(out.begin(), out.end(), arr.Data());
  return arr;
}

Napi::Value Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ModelPtr model = handle(info[0]);
  auto tokens = std::make_shared<std::vector<int32_t>>(tokens_arg(info[1]));
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  EvalOptions opt;
  read_chunk_options(o, opt);
  ModelPtr reference;
  if (o.Get("reference").IsExternal()) reference = handle(o.Get("reference"));
  auto result = std::make_shared<EvalResult>();
  return AsyncJob::Start(
      env, info[3],
      [model, reference, tokens, opt, result](JobContext& ctx) mutable {
        opt.reference = reference.get();
        opt.cancel = ctx.cancel.get();
        opt.progress = [&ctx](int64_t done, int64_t total) { ctx.report(static_cast<double>(done), static_cast<double>(total)); };
        *result = evaluate_perplexity(*model, *tokens, opt);
      },
      [result, reference](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("nll", result->nll);
        r.Set("nll2", result->nll2);
        r.Set("count", static_cast<double>(result->count));
        r.Set("chunks", static_cast<double>(result->chunks));
        r.Set("seconds", result->seconds);
        if (reference) {
          r.Set("kl", result->kl);
          r.Set("kl2", result->kl2);
          r.Set("top1", static_cast<double>(result->top1));
          r.Set("refNll", result->ref_nll);
        }
        return r;
      });
}

// imatrix(handle, tokens, { nCtx, threads, bos, addBos }, onProgress) -> { promise, cancel }
// resolving to { tokens, chunks, sums: { [tensor]: Float64Array } }.
Napi::Value Imatrix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ModelPtr model = handle(info[0]);
  auto tokens = std::make_shared<std::vector<int32_t>>(tokens_arg(info[1]));
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  ImatrixOptions opt;
  read_chunk_options(o, opt);
  auto result = std::make_shared<ImatrixResult>();
  return AsyncJob::Start(
      env, info[3],
      [model, tokens, opt, result](JobContext& ctx) mutable {
        opt.cancel = ctx.cancel.get();
        opt.progress = [&ctx](int64_t done, int64_t total) { ctx.report(static_cast<double>(done), static_cast<double>(total)); };
        *result = collect_imatrix(*model, *tokens, opt);
      },
      [result](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("tokens", static_cast<double>(result->tokens));
        r.Set("chunks", static_cast<double>(result->chunks));
        Napi::Object sums = Napi::Object::New(env);
        for (const auto& [name, v] : result->sums) {
          auto a = Napi::Float64Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          sums.Set(name, a);
        }
        r.Set("sums", sums);
        return r;
      });
}

// quantizeSequential(handle, tokens, jobs, outPath, options, onProgress) -> { promise, cancel }
// resolving to { options, tokens, sequences, tensors: [{ name, type, layer, gptq, error, rtnError, damp,
// qepLambda, deadColumns, tokens, seconds }] }. Options: seqLen, qep, and the GPTQ fields of
// read_gptq_options (threads, damp, blockSize, actOrder, subblockRefit, qepAlpha, qepLambda, measure).
Napi::Value QuantizeSequential(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ModelPtr model = handle(info[0]);
  auto tokens = std::make_shared<std::vector<int32_t>>(tokens_arg(info[1]));
  auto jobs = std::make_shared<std::vector<ConvertJob>>(parse_convert_jobs(env, info[2]));
  if (!info[3].IsString()) throw Napi::TypeError::New(env, "quantizeSequential: outPath must be a string");
  const std::string out_path = info[3].As<Napi::String>();
  Napi::Object o = info[4].IsObject() ? info[4].As<Napi::Object>() : Napi::Object::New(env);
  auto opt = std::make_shared<PipelineOptions>();
  opt->seq_len = static_cast<int64_t>(num(o, "seqLen", 512));
  read_gptq_options(env, o, opt->gptq);
  opt->threads = opt->gptq.threads;
  opt->qep = o.Get("qep").ToBoolean();
  auto result = std::make_shared<PipelineResult>();
  return AsyncJob::Start(
      env, info[5],
      [model, tokens, jobs, out_path, opt, result](JobContext& ctx) {
        PipelineOptions po = *opt;
        po.cancel = ctx.cancel.get();
        po.progress = [&ctx](double d, double t) { ctx.report(d, t); };
        *result = quantize_sequential(*model, *tokens, *jobs, out_path, po);
      },
      [result, opt](Napi::Env env) -> Napi::Value {
        Napi::Object r = Napi::Object::New(env);
        r.Set("options", pipeline_gptq_object(env, *opt));  // what the engine ran with
        r.Set("tokens", static_cast<double>(result->tokens));
        r.Set("sequences", static_cast<double>(result->sequences));
        Napi::Array tensors = Napi::Array::New(env, result->tensors.size());
        auto nullable = [&](double v) -> Napi::Value { return v >= 0 ? Napi::Number::New(env, v) : env.Null(); };
        for (size_t i = 0; i < result->tensors.size(); ++i) {
          const PipelineTensorReport& t = result->tensors[i];
          Napi::Object e = Napi::Object::New(env);
          e.Set("name", t.name);
          e.Set("type", t.type);
          e.Set("layer", t.layer >= 0 ? Napi::Number::New(env, static_cast<double>(t.layer)) : env.Null());
          e.Set("gptq", t.gptq);
          e.Set("error", nullable(t.error));
          e.Set("rtnError", nullable(t.rtn_error));
          e.Set("damp", t.damp);
          e.Set("qepLambda", t.qep_lambda);
          e.Set("deadColumns", t.dead_columns);
          e.Set("tokens", static_cast<double>(t.tokens));
          e.Set("seconds", t.seconds);
          tensors.Set(static_cast<uint32_t>(i), e);
        }
        r.Set("tensors", tensors);
        return r;
      });
}

// sensitivity(handle, tokens, { seqLen, types, gptq, outputErrorSequences, and the GPTQ fields of read_gptq_options }, onProgress)
// -> { promise, cancel } resolving to [{ tensor, type, layer, bytes, error, outputError, tokens, gptq }].
Napi::Value Sensitivity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ModelPtr model = handle(info[0]);
  auto tokens = std::make_shared<std::vector<int32_t>>(tokens_arg(info[1]));
  Napi::Object o = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  auto opt = std::make_shared<SensitivityOptions>();
  opt->seq_len = static_cast<int64_t>(num(o, "seqLen", 512));
  read_gptq_options(env, o, opt->gptq_options);
  opt->threads = opt->gptq_options.threads;
  if (!o.Get("types").IsArray()) throw Napi::TypeError::New(env, "sensitivity: types must be an array of ggml type names");
  Napi::Array types = o.Get("types").As<Napi::Array>();
  for (uint32_t i = 0; i < types.Length(); ++i) {
    if (!types.Get(i).IsString()) throw Napi::TypeError::New(env, "sensitivity: types must be an array of ggml type names");
    opt->types.push_back(types.Get(i).As<Napi::String>());
  }
  opt->gptq = o.Get("gptq").ToBoolean();
  opt->output_error_sequences = static_cast<int64_t>(num(o, "outputErrorSequences", 0));
  auto result = std::make_shared<std::vector<SensitivityEntry>>();
  return AsyncJob::Start(
      env, info[3],
      [model, tokens, opt, result](JobContext& ctx) {
        SensitivityOptions so = *opt;
        so.cancel = ctx.cancel.get();
        so.progress = [&ctx](double d, double t) { ctx.report(d, t); };
        *result = measure_sensitivity(*model, *tokens, so);
      },
      [result](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, result->size());
        for (size_t i = 0; i < result->size(); ++i) {
          const SensitivityEntry& e = (*result)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("tensor", e.tensor);
          o.Set("type", e.type);
          o.Set("layer", e.layer >= 0 ? Napi::Number::New(env, static_cast<double>(e.layer)) : env.Null());
          o.Set("bytes", static_cast<double>(e.bytes));
          o.Set("error", e.error);
          o.Set("outputError", e.output_error >= 0 ? Napi::Number::New(env, e.output_error) : env.Null());
          o.Set("tokens", static_cast<double>(e.tokens));
          o.Set("gptq", e.gptq);
          out.Set(static_cast<uint32_t>(i), o);
        }
        return out;
      });
}

}  // namespace

void InitEngine(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeSequential", Napi::Function::New(env, QuantizeSequential));
  exports.Set("sensitivity", Napi::Function::New(env, Sensitivity));
  exports.Set("imatrix", Napi::Function::New(env, Imatrix));
  exports.Set("openModel", Napi::Function::New(env, OpenModel));
  exports.Set("closeModel", Napi::Function::New(env, CloseModel));
  exports.Set("logits", Napi::Function::New(env, Logits));
  exports.Set("evaluate", Napi::Function::New(env, Evaluate));
}

}  // namespace lowbit::binding
