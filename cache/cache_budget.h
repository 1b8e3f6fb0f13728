// CacheBudget: the bytes of part data held on local disk against cache_size.
//
// Writers Reserve() bytes before writing them into a part file and block
// while the cache is over budget, until uploads drain parts (backpressure
// instead of ENOSPC). To never deadlock, a writer only waits while some bytes
// are "draining" (handed to an upload that will release them); when nothing
// drains the reservation is granted over budget (e.g. part files left by a
// crash, awaiting recovery), unless the last upload failed: then Reserve
// returns Unavailable, so a dead store makes write() fail instead of filling
// the disk past cache_size.
//
// Thread-safe.
#ifndef PARTFS_CACHE_CACHE_BUDGET_H_
#define PARTFS_CACHE_CACHE_BUDGET_H_

#include <cstdint>

#include "base/mutex.h"
#include "base/status.h"

namespace partfs {

class CacheBudget {
 public:
  explicit CacheBudget(uint64_t limit) : limit_(limit) {}
  CacheBudget(const CacheBudget&) = delete;
  CacheBudget& operator=(const CacheBudget&) = delete;

  // Blocks until `n` more bytes fit (see above); Aborted after Shutdown(),
  // Unavailable when over budget while uploads fail.
  Status Reserve(uint64_t n);
  // Accounts bytes without waiting (part files found at startup).
  void Add(uint64_t n);
  // Accounts `n` bytes only while the cache stays at most half full; false
  // otherwise (clean copies kept for rereads must never crowd out writes).
  bool TryHold(uint64_t n);
  // Bytes left the disk (part deleted or truncated).
  void Release(uint64_t n);
  // `n` bytes were handed to an upload; DrainDone() follows when the upload ends.
  void Drain(uint64_t n);
  // An upload of `n` draining bytes ended: `uploaded` releases them too.
  void DrainDone(uint64_t n, bool uploaded);
  // An upload succeeded outside the drain accounting (a retry of a failed
  // file): writers no longer fail fast.
  void UploadsRecovered();
  // Wakes every waiter with Aborted; later Reserve calls fail at once.
  void Shutdown();

  uint64_t used() const;
  uint64_t draining() const;
  uint64_t limit() const { return limit_; }

 private:
  const uint64_t limit_;
  mutable Mutex mu_;
  CondVar cv_{&mu_};
  uint64_t used_ GUARDED_BY(mu_) = 0;
  uint64_t draining_ GUARDED_BY(mu_) = 0;
  bool shutdown_ GUARDED_BY(mu_) = false;
  bool uploads_failing_ GUARDED_BY(mu_) = false;  // the last finished upload failed
};

}  // namespace partfs

#endif  // PARTFS_CACHE_CACHE_BUDGET_H_
