// Work-sharing over independent tasks of uneven cost (triangular tiles): each of the pool's
// threads takes the next task index from a shared counter.
#pragma once

#include <atomic>
#include <cstdint>

#include "lowbit/thread_pool.h"

namespace lowbit::linalg {

template <typename Fn>
void for_each_task(ThreadPool* pool, int64_t ntasks, Fn&& fn) {
  if (!pool || pool->size() == 1 || ntasks <= 1) {
    for (int64_t t = 0; t < ntasks; ++t) fn(t);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->parallel_for(pool->size(), [&](int, int64_t, int64_t) {
    for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < ntasks;) fn(t);
  });
}

}  // namespace lowbit::linalg
