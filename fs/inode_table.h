// InodeTable: inode numbers <-> paths for everything the kernel has looked up,
// with the kernel's lookup counts and the count of open handles.
//
// Paths are relative to the mount's prefix without leading or trailing '/'
// ("" is the root, inode 1). An inode stays in the table until both its lookup
// count (decremented by forget) and its open count reach zero; Unlink and
// Rename only detach the path, so an unlinked file with a pending upload lives
// on until its last lookup and open are gone. Inode numbers are never reused.
//
// Thread-safe: one mutex (mu_) guards the maps and every Entry field.
// mu_ is a leaf: no other lock (not even an Inode::mu) is taken while it is
// held, so callers may hold a FileHandle::mu around table calls (lock order in
// fs/filesystem.h).
#ifndef PARTFS_FS_INODE_TABLE_H_
#define PARTFS_FS_INODE_TABLE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "cache/write_cache.h"
#include "transfer/object_store.h"

namespace partfs {

// The write in progress on one file: the FileWriter, the metadata it will carry
// and how many open handles share it. Guarded by the owning Inode::mu.
struct WriteSession {
  std::shared_ptr<FileWriter> writer;
  UserMetadata metadata;
  bool mtime_explicit = false;  // set by utimens: keep it instead of the close time
  bool finish_failed = false;   // Finish already failed once (data kept in the cache)
  uint32_t handles = 0;
  // Write-back mode: the upload is queued (the inode stays pinned in the table
  // until it ran), and whether changes since the last Persist need another.
  bool queued = false;
  std::atomic<bool> persisted{false};
  // The key had no object when the file was created (this mount's lookup just
  // said so): a rename before the upload deletes nothing at the old name.
  bool key_absent = false;
  // Created with O_EXCL: completed only if the key has no object (close
  // reports EEXIST to the loser, except in write-back mode).
  bool exclusive = false;
};

// The object a read-only open saw (fs/filesystem_io.cc, keep_cache): the
// kernel's cached pages stay valid while all of it is unchanged.
struct ReadVersion {
  std::string path;
  std::string etag;
  uint64_t size = 0;
  uint64_t changes = 0;  // Inode::changes then
  bool operator==(const ReadVersion&) const = default;
};

// Per-file state that outlives path changes. Owned by shared_ptr: the table and
// open handles each hold one.
struct Inode {
  Inode(uint64_t number, bool directory) : ino(number), is_dir(directory) {}
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  const uint64_t ino;
  const bool is_dir;
  // Held while a write session of this file starts (a HEAD, maybe the copy of
  // an in-place change), so two handles never start two versions at once.
  // Taken after FileHandle::mu, before mu and the cache's locks.
  Mutex start_mu;
  Mutex mu;
  std::shared_ptr<WriteSession> session GUARDED_BY(mu);  // null when no write is in progress
  // What the last read-only open saw; none when it could not tell.
  std::optional<ReadVersion> last_read GUARDED_BY(mu);
  // Bumped whenever this mount starts changing the file's bytes (a write
  // session, a truncate): readers drop bytes they prefetched before.
  std::atomic<uint64_t> changes{0};
};

class InodeTable {
 public:
  static constexpr uint64_t kRootIno = 1;

  InodeTable();
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  struct Ref {
    std::shared_ptr<Inode> inode;
    std::string path;  // last known path (still reported after unlink)
    bool linked = false;
  };

  // Unknown inode number -> nullopt.
  std::optional<Ref> Get(uint64_t ino) const;
  // The linked inode at `path`, or null.
  std::shared_ptr<Inode> Find(const std::string& path) const;
  // Returns the inode at `path` (creating it) and counts one kernel lookup. An
  // existing inode of the other type is detached first (the object changed).
  std::shared_ptr<Inode> Lookup(const std::string& path, bool is_dir);
  // Drops `count` kernel lookups. The kernel never forgets more than it looked
  // up, so a `count` above the inode's lookup count is a bookkeeping bug: the
  // count is clamped to zero and the lookup count it had is returned (for the
  // caller to report); nullopt otherwise (also for an unknown inode).
  std::optional<uint64_t> Forget(uint64_t ino, uint64_t count);
  void Opened(uint64_t ino);
  void Closed(uint64_t ino);
  // Detaches `path` from its inode (the inode lives on while referenced).
  void Unlink(const std::string& path);
  // Moves the inode at `from` to `to`, detaching whatever was at `to`.
  void Rename(const std::string& from, const std::string& to);
  // Directory rename: moves the inode at `from` and every linked inode below
  // it to the same place below `to`, detaching whatever was at or below `to`.
  void RenameTree(const std::string& from, const std::string& to);
  // Linked inodes below directory `dir` ("" = root); only direct children when `direct_only`.
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> Below(const std::string& dir,
                                                                    bool direct_only) const;
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<Inode> inode;
    std::string path;
    uint64_t nlookup = 0;
    uint32_t opens = 0;
    bool linked = true;
  };

  void DetachLocked(const std::string& path) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeEraseLocked(uint64_t ino) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  std::unordered_map<uint64_t, Entry> by_ino_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> by_path_ GUARDED_BY(mu_);  // linked paths only; sorted for Below
  uint64_t next_ino_ GUARDED_BY(mu_) = kRootIno + 1;
};

}  // namespace partfs

#endif  // PARTFS_FS_INODE_TABLE_H_
