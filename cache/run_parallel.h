// RunParallel: runs fn(i) for i in [0, count) on at most `parallelism` threads
// of its own and returns the first error (the remaining items still run, so a
// caller sees every item attempted once). Used for server-side copies and
// deletes, which must not queue behind (or deadlock on) the upload pool.
//
// Thread-safe as far as fn is; blocks until every item ran.
#ifndef PARTFS_CACHE_RUN_PARALLEL_H_
#define PARTFS_CACHE_RUN_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"

namespace partfs {

inline Status RunParallel(size_t count, size_t parallelism,
                          const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  Mutex mu;
  Status first_error;
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) {
      Status status = fn(i);
      if (status.ok()) continue;
      MutexLock lock(&mu);
      if (first_error.ok()) first_error = std::move(status);
    }
  };
  const size_t threads = std::min(count, std::max<size_t>(parallelism, 1));
  if (threads <= 1) {
    worker();
    return first_error;
  }
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  return first_error;
}

}  // namespace partfs

#endif  // PARTFS_CACHE_RUN_PARALLEL_H_
