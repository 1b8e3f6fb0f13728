#include "cache/cache_budget.h"

#include <algorithm>
#include <string>

namespace partfs {

Status CacheBudget::Reserve(uint64_t n) {
  MutexLock lock(&mu_);
  while (!shutdown_ && used_ > 0 && used_ + n > limit_ && draining_ > 0) cv_.Wait();
  if (shutdown_) return Status::Aborted("write cache is shutting down");
  if (used_ > 0 && used_ + n > limit_ && uploads_failing_) {
    // Nothing drains and the last upload failed: waiting could last forever
    // and growing past cache_size breaks the limit, so the writer gets the error.
    return Status::Unavailable(
        "the cache is full (" + std::to_string(used_) + " of " + std::to_string(limit_) +
        " bytes) and uploads are failing; written data is kept in the cache");
  }
  used_ += n;
  return Status::OK();
}

void CacheBudget::Add(uint64_t n) {
  MutexLock lock(&mu_);
  used_ += n;
}

bool CacheBudget::TryHold(uint64_t n) {
  MutexLock lock(&mu_);
  if (used_ + n > limit_ / 2) return false;
  used_ += n;
  return true;
}

void CacheBudget::Release(uint64_t n) {
  MutexLock lock(&mu_);
  used_ -= std::min(n, used_);
  cv_.SignalAll();
}

void CacheBudget::Drain(uint64_t n) {
  MutexLock lock(&mu_);
  draining_ += n;
}

void CacheBudget::DrainDone(uint64_t n, bool uploaded) {
  MutexLock lock(&mu_);
  draining_ -= std::min(n, draining_);
  if (uploaded) used_ -= std::min(n, used_);
  uploads_failing_ = !uploaded;
  cv_.SignalAll();
}

void CacheBudget::UploadsRecovered() {
  MutexLock lock(&mu_);
  uploads_failing_ = false;
  cv_.SignalAll();
}

void CacheBudget::Shutdown() {
  MutexLock lock(&mu_);
  shutdown_ = true;
  cv_.SignalAll();
}

uint64_t CacheBudget::used() const {
  MutexLock lock(&mu_);
  return used_;
}

uint64_t CacheBudget::draining() const {
  MutexLock lock(&mu_);
  return draining_;
}

}  // namespace partfs
