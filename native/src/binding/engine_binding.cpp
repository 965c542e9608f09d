// Asynchronous engine calls (model loading, evaluation). Filled in with the forward pass.
#include "bindings.h"

namespace lowbit::binding {
void InitEngine(Napi::Env env, Napi::Object exports) {}
}  // namespace lowbit::binding
