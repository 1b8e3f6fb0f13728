#include "cache/key_locks.h"

namespace partfs {

KeyLocks::Guard& KeyLocks::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    keys_ = std::move(other.keys_);
    other.owner_ = nullptr;
  }
  return *this;
}

void KeyLocks::Guard::Release() {
  if (owner_ != nullptr) owner_->Unlock(keys_);
  owner_ = nullptr;
  keys_.clear();
}

void KeyLocks::Acquire(const std::string& key) {
  MutexLock lock(&mu_);
  while (held_.count(key)) cv_.Wait();
  held_.insert(key);
}

KeyLocks::Guard KeyLocks::Lock(const std::string& key) {
  Acquire(key);
  return Guard(this, {key});
}

KeyLocks::Guard KeyLocks::LockPair(const std::string& a, const std::string& b) {
  if (a == b) return Lock(a);
  const std::string& first = a < b ? a : b;
  const std::string& second = a < b ? b : a;
  Acquire(first);
  Acquire(second);
  return Guard(this, {first, second});
}

void KeyLocks::Unlock(const std::vector<std::string>& keys) {
  MutexLock lock(&mu_);
  for (const auto& key : keys) held_.erase(key);
  cv_.SignalAll();
}

}  // namespace partfs
