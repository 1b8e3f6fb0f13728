// KeyLocks: one exclusive lock per object key, taken around the steps whose
// order on the server decides which version of a key wins: completing an
// upload (writer or recovery), deleting a key (unlink) and renaming onto it.
// With the journal's retirement (cache/journal.h) this makes "the newest
// generation wins" hold: a completion re-checks under the lock that its record
// was not retired, and an unlink retires and deletes under the same lock.
//
// Thread-safe. Locks of two keys are taken in key order (LockPair), never
// nested otherwise, so they cannot deadlock.
#ifndef PARTFS_CACHE_KEY_LOCKS_H_
#define PARTFS_CACHE_KEY_LOCKS_H_

#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"

namespace partfs {

class KeyLocks {
 public:
  KeyLocks() = default;
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

  // Holds the locks of its keys until destroyed (movable, not copyable).
  class Guard {
   public:
    Guard() = default;
    Guard(KeyLocks* owner, std::vector<std::string> keys) : owner_(owner), keys_(std::move(keys)) {}
    Guard(Guard&& other) noexcept : owner_(other.owner_), keys_(std::move(other.keys_)) {
      other.owner_ = nullptr;
    }
    Guard& operator=(Guard&& other) noexcept;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { Release(); }
    void Release();

   private:
    KeyLocks* owner_ = nullptr;
    std::vector<std::string> keys_;
  };

  // Blocks until `key` is free, then holds it.
  Guard Lock(const std::string& key);
  // Both keys, in a fixed order (one lock when they are equal).
  Guard LockPair(const std::string& a, const std::string& b);

 private:
  void Acquire(const std::string& key);
  void Unlock(const std::vector<std::string>& keys);

  Mutex mu_;
  CondVar cv_{&mu_};
  std::set<std::string> held_ GUARDED_BY(mu_);
};

}  // namespace partfs

#endif  // PARTFS_CACHE_KEY_LOCKS_H_
