// Runs independent tasks on the session's thread pool, or inline when there is none.
#pragma once
#include <pthreadpool.h>

#include <cstddef>

namespace wrun::ops {

// Calls f(i) for every i in [0, n). Tasks must not throw; callers give each task a fixed share
// of the work so results do not depend on the number of threads.
template <class F>
void parallel_for(pthreadpool_t pool, size_t n, F& f) {
  if (!pool || n <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  pthreadpool_parallelize_1d(
      pool, [](void* p, size_t i) { (*static_cast<F*>(p))(i); }, &f, n, 0);
}

}  // namespace wrun::ops
