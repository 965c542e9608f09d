// The GPTQ option fields of the binding's calls (gptqQuantize, quantizeSequential, sensitivity),
// read in one place. A field left out keeps the value already in the struct, so the defaults are
// GptqOptions' member initialisers (native/include/lowbit/gptq.h), and gptqDefaults() reports them.
#pragma once
#include <napi.h>

#include "lowbit/gptq.h"
#include "lowbit/pipeline.h"

namespace lowbit::binding {

// damp, blockSize, actOrder, subblockRefit, qepAlpha, qepLambda, threads, samples, measure
void read_gptq_options(Napi::Env env, const Napi::Object& o, GptqOptions& opt);

// { damp, blockSize, actOrder, qep, qepAlpha, qepLambda, subblockRefit } of a pipeline's options
Napi::Object pipeline_gptq_object(Napi::Env env, const PipelineOptions& o);

// gptqDefaults() -> pipeline_gptq_object of the default options
Napi::Value GptqDefaults(const Napi::CallbackInfo& info);

}  // namespace lowbit::binding
