// CacheDir: exclusive ownership of a cache directory by one partfs process.
//
// Open() creates the directory (0700), takes a non-blocking exclusive flock()
// on LOCK and writes this process's pid into it, then creates the files/ and
// journal/ subdirectories (0700); each directory it creates is made durable
// (MakeDir). The lock lives as long as the CacheDir (the fd closes on destruction).
// flock locks belong to the open file description, so a second Open of the
// same directory fails with Busy even inside the same process.
// Thread-compatible; non-copyable.
#ifndef PARTFS_CACHE_CACHE_DIR_H_
#define PARTFS_CACHE_CACHE_DIR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "cache/cache_layout.h"

namespace partfs {

class CacheDir {
 public:
  static Result<std::unique_ptr<CacheDir>> Open(const std::string& root);
  ~CacheDir();
  CacheDir(const CacheDir&) = delete;
  CacheDir& operator=(const CacheDir&) = delete;

  const CacheLayout& layout() const { return layout_; }

 private:
  CacheDir(CacheLayout layout, int lock_fd) : layout_(std::move(layout)), lock_fd_(lock_fd) {}
  CacheLayout layout_;
  int lock_fd_;
};

// The pid a mount wrote into the cache's LOCK file; 0 when there is none or
// it is unreadable (whether that process still runs is the caller's question).
int LockHolderPid(const CacheLayout& layout);

// mkdir with `mode`; OK when it already exists as a directory. When it creates
// the directory it fsyncs the parent directory, so the new entry survives a
// power loss (callers need no SyncDir of the parent for it).
Status MakeDir(const std::string& path, unsigned mode);
// fsync a directory so entries created in it are durable.
Status SyncDir(const std::string& path);

// Free space the cache keeps for its own journal: part data may not take it,
// so a journal commit (PutPart, the record's state at close) still fits on a
// cache disk that writes have filled, and parts can be journaled and freed.
inline constexpr uint64_t kJournalHeadroom = 4ull << 20;
// NoSpace ("cache disk is full") when the filesystem of `dir` has fewer than
// `need` + `headroom` bytes available. OK when statvfs fails (the write then
// meets the disk's own answer).
Status CheckFreeSpace(const std::string& dir, uint64_t need, uint64_t headroom);

}  // namespace partfs

#endif  // PARTFS_CACHE_CACHE_DIR_H_
