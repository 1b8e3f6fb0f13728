// UploadPool: a fixed set of worker threads running queued upload jobs,
// shared by every file of a WriteCache (so upload_threads bounds the
// parallel UploadPart requests of the whole mount).
//
// Thread-safe. Shutdown() (also run by the destructor) stops accepting jobs,
// runs the jobs already queued and joins the threads; jobs must therefore
// not wait for anything that only a later Submit could provide.
#ifndef PARTFS_CACHE_UPLOAD_POOL_H_
#define PARTFS_CACHE_UPLOAD_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace partfs {

class UploadPool {
 public:
  explicit UploadPool(uint32_t threads);
  ~UploadPool();
  UploadPool(const UploadPool&) = delete;
  UploadPool& operator=(const UploadPool&) = delete;

  // Queues `job`; false (job not run) after Shutdown().
  bool Submit(std::function<void()> job);
  void Shutdown();

 private:
  void WorkerLoop();

  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // written only by the ctor and Shutdown
  Mutex join_mu_;                     // serializes Shutdown callers
};

}  // namespace partfs

#endif  // PARTFS_CACHE_UPLOAD_POOL_H_
