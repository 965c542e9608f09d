// Each binding file exports its functions through one Init* call made from addon.cpp.
// Only files under src/binding include napi.h.
#pragma once
#include <napi.h>

namespace lowbit::binding {
void InitFormats(Napi::Env env, Napi::Object exports);
void InitEngine(Napi::Env env, Napi::Object exports);
void InitConvert(Napi::Env env, Napi::Object exports);
void InitGptq(Napi::Env env, Napi::Object exports);
}  // namespace lowbit::binding
