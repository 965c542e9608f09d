#include "bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  lowbit::binding::InitFormats(env, exports);
  lowbit::binding::InitEngine(env, exports);
  lowbit::binding::InitConvert(env, exports);
  lowbit::binding::InitGptq(env, exports);
  lowbit::binding::InitCuda(env, exports);
  lowbit::binding::InitTesting(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(lowbit, Init)
