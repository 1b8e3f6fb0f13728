// DeferredMetadata: honest-mode metadata changes of closed objects (chmod,
// chown, utimens), journaled at once and copied onto the object later.
//
// S3 changes metadata only by copying an object onto itself. rsync -a sets the
// mtime of a file right after closing it and then renames it: instead of a
// copy for each, Record() journals the change (cache/journal.h
// PendingMetadataRecord) before setattr returns, and the copy runs `delay`
// after the key's last change, unless a rename merges the metadata into its
// own copy first (the caller Find()s and Drop()s the record). A record applies
// only while the object still has its recorded ETag and size: a newer version
// of the object wins (the record is dropped), a deleted object is never
// brought back. Records a crash left behind are loaded and queued at
// construction.
//
// Thread-safe. ApplyNow, ApplyUnder and Drain take the key's lock of the
// WriteCache themselves (callers must not hold it); Record, Find and Drop take
// only this object's mutex (a leaf), so callers may hold key locks. Borrows
// `store` and `cache` (both must outlive it). Destroying it stops the timer
// after running applies; unapplied records stay in the journal.
#ifndef PARTFS_FS_DEFERRED_METADATA_H_
#define PARTFS_FS_DEFERRED_METADATA_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/logger.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cache/write_cache.h"
#include "fs/writeback_queue.h"
#include "transfer/object_store.h"

namespace partfs {

class DeferredMetadata {
 public:
  struct Change {
    std::string etag;  // of the object version it applies to (without quotes)
    uint64_t size = 0;
    UserMetadata metadata;  // the full new user metadata
    // True when `info` is the object version this change applies to.
    bool AppliesTo(const ObjectInfo& info) const;
  };
  struct Options {
    std::chrono::milliseconds delay{std::chrono::seconds(1)};
    Logger* logger = nullptr;  // must not be null
    // Called after a copy applied a change (key, the object as it is now).
    std::function<void(const std::string&, const ObjectInfo&)> on_applied;
  };

  DeferredMetadata(Options options, ObjectStore* store, WriteCache* cache);
  ~DeferredMetadata();
  DeferredMetadata(const DeferredMetadata&) = delete;
  DeferredMetadata& operator=(const DeferredMetadata&) = delete;

  // Journals `change` for `key` durably (replacing the key's record) and
  // queues its copy. The caller holds the key's lock.
  Status Record(const std::string& key, Change change);
  std::optional<Change> Find(const std::string& key) const;
  // Forgets the key's change (journal first); a failure is logged only: a
  // record left behind never applies to another version.
  void Drop(const std::string& key);
  // Drops the key's change unless it applies to ETag `etag` (a completed
  // upload that started from the change carries it already).
  void DropUnlessFor(const std::string& key, const std::string& etag);
  // Copies the key's change onto the object now (fsync); nothing to do is OK.
  // `applied` (may be null) receives the object as it is afterwards.
  Status ApplyNow(const std::string& key, std::optional<ObjectInfo>* applied = nullptr);
  // Applies every change of a key starting with `prefix` (a directory rename).
  Status ApplyUnder(const std::string& prefix);
  // Applies every change now (unmount); failures stay in the journal.
  void Drain();
  // Changes waiting for their copy (queued) or being copied (running).
  WritebackQueue::Stats QueueStats() const { return timer_.GetStats(); }

 private:
  void Queue(const std::string& key) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  ObjectStore* const store_;
  WriteCache* const cache_;
  mutable Mutex mu_;
  // Node addresses are stable: a key's node is its timer entry's id.
  std::map<std::string, Change> changes_ GUARDED_BY(mu_);
  // Last: it stops (its tasks use the members above) first.
  WritebackQueue timer_;
};

}  // namespace partfs

#endif  // PARTFS_FS_DEFERRED_METADATA_H_
