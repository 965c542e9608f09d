// Long native work off the JS thread: a job runs `work` on a worker thread, streams progress to
// an optional JS callback, and settles a promise. JS receives { promise, cancel() }; cancel sets
// an atomic flag that the work checks between steps.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace lowbit::binding {

struct JobProgress {
  double done = 0;
  double total = 0;
};

struct JobContext {
  std::shared_ptr<std::atomic<bool>> cancel;
  std::function<void(double, double)> report;  // safe to call from the worker thread
};

// `work` runs on the worker thread and must not touch N-API; `result` runs on the JS thread.
using JobWork = std::function<void(JobContext&)>;
using JobResult = std::function<Napi::Value(Napi::Env)>;

class AsyncJob : public Napi::AsyncProgressQueueWorker<JobProgress> {
 public:
  AsyncJob(Napi::Env env, Napi::Function on_progress, JobWork work, JobResult result)
      : Napi::AsyncProgressQueueWorker<JobProgress>(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        cancel_(std::make_shared<std::atomic<bool>>(false)),
        work_(std::move(work)),
        result_(std::move(result)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  // Queues the job and returns { promise, cancel }.
  static Napi::Object Start(Napi::Env env, Napi::Value on_progress, JobWork work, JobResult result) {
    Napi::Function cb = on_progress.IsFunction() ? on_progress.As<Napi::Function>() : Napi::Function();
    auto* job = new AsyncJob(env, cb, std::move(work), std::move(result));
    Napi::Object handle = Napi::Object::New(env);
    handle.Set("promise", job->deferred_.Promise());
    auto cancel = job->cancel_;
    handle.Set("cancel", Napi::Function::New(env, [cancel](const Napi::CallbackInfo& info) {
      cancel->store(true);
      return info.Env().Undefined();
    }));
    job->Queue();
    return handle;
  }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    JobContext ctx{cancel_, [&progress](double done, double total) {
                     JobProgress p{done, total};
                     progress.Send(&p, 1);
                   }};
    try {
      work_(ctx);
    } catch (const std::exception& e) {
      SetError(cancel_->load() ? std::string("cancelled") : std::string(e.what()));
    }
  }

  void OnProgress(const JobProgress* data, size_t count) override {
    if (on_progress_.IsEmpty() || count == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    const JobProgress& last = data[count - 1];
    on_progress_.Call({Napi::Number::New(env, last.done), Napi::Number::New(env, last.total)});
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  Napi::FunctionReference on_progress_;
  JobWork work_;
  JobResult result_;
};

}  // namespace lowbit::binding
