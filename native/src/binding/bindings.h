// Each binding file exports its functions through one Init* call made from addon.cpp.
// Only files under src/binding include napi.h.
#pragma once
#include <napi.h>

#include <vector>

#include "lowbit/convert.h"

namespace lowbit::binding {
void InitFormats(Napi::Env env, Napi::Object exports);
void InitEngine(Napi::Env env, Napi::Object exports);
void InitConvert(Napi::Env env, Napi::Object exports);
void InitGptq(Napi::Env env, Napi::Object exports);
void InitCuda(Napi::Env env, Napi::Object exports);     // also exports.experimental
void InitTesting(Napi::Env env, Napi::Object exports);  // exports.testing

// The job list of convertTensors (also taken by quantizeSequential).
std::vector<ConvertJob> parse_convert_jobs(Napi::Env env, const Napi::Value& jobs);
}  // namespace lowbit::binding
