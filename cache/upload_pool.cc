#include "cache/upload_pool.h"

namespace partfs {

UploadPool::UploadPool(uint32_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

UploadPool::~UploadPool() { Shutdown(); }

bool UploadPool::Submit(std::function<void()> job) {
  MutexLock lock(&mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(job));
  cv_.Signal();
  return true;
}

void UploadPool::Shutdown() {
  MutexLock join_lock(&join_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void UploadPool::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait();
      if (queue_.empty()) return;  // stopping and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace partfs
