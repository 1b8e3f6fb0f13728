// AttrCache: what this mount recently learned about names (stat_ttl), so that
// lookups and stats repeat no HEAD or LIST within the TTL.
//
// Three kinds of entries, keyed by path (relative to the mount's prefix):
//   - a file with its HEAD (size, ETag, metadata): stat answers from it;
//   - a directory;
//   - a missing name (a negative entry).
// A directory whose complete listing was fetched (readdir, a lookup) or that
// this mount created empty also answers "missing" for every name it did not
// list.
// Entries expire after the TTL; this mount's own changes update or drop them
// at once (the callers in fs/filesystem*.cc do that), other clients' changes
// show after at most the TTL. "Missing" answers that came from the server (a
// 404, a listing) are trusted for at most 1 s, so an object another client
// creates shows almost at once; those that come from this mount's own changes
// (unlink, rename, a directory it created) for the whole TTL. A TTL of 0
// disables the cache.
//
// Thread-safe (one leaf mutex; nothing else is taken while it is held).
#ifndef PARTFS_FS_ATTR_CACHE_H_
#define PARTFS_FS_ATTR_CACHE_H_

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "transfer/object_store.h"

namespace partfs {

class AttrCache {
 public:
  // `clock` must outlive the cache.
  AttrCache(std::chrono::milliseconds ttl, Clock* clock);

  struct Entry {
    enum Kind { kFile, kDir, kMissing } kind = kMissing;
    std::optional<ObjectInfo> info;  // kFile: its HEAD (none: listed, metadata unknown)
    // kMissing in a directory this mount created (mkdir) within the TTL.
    bool in_new_dir = false;
  };
  // A fresh entry for `path`, or what a fresh complete listing of its parent
  // says (kMissing when the listing lacks it, kDir for its subdirectories,
  // kFile without `info` for a listed file: its metadata needs a HEAD).
  std::optional<Entry> Get(const std::string& path);

  void PutFile(const std::string& path, const ObjectInfo& info);
  // PutFile unless a fresh entry exists (what this mount learned since wins
  // over metadata persisted earlier).
  void PutFileIfUnknown(const std::string& path, const ObjectInfo& info);
  void PutDir(const std::string& path);
  // `own`: this mount removed it (else the server said so).
  void PutMissing(const std::string& path, bool own = false);
  // The complete listing of directory `dir`: its files and subdirectories;
  // `own`: a directory this mount created (else listed from the server).
  void PutListing(const std::string& dir, std::set<std::string> files, std::set<std::string> dirs,
                  bool own = false);
  // `dir` is too large to list for a lookup: do not try again within the TTL.
  void PutTooLargeToList(const std::string& dir);
  // True while a listing of `dir` (or its too-large mark) is fresh.
  bool HasListing(const std::string& dir);
  // Up to `max` names following `name` in the fresh listing of `dir` (listing
  // order) whose files are listed without metadata: the names an `ls -l`
  // walking the directory will ask for next.
  std::vector<std::string> UnknownFilesAfter(const std::string& dir, const std::string& name,
                                             size_t max);
  // `path` changed in a way the caller cannot describe: forget it (and keep
  // the parent's listing right: it now holds `path` as a file, unless `gone`).
  void Forget(const std::string& path, bool gone = false);
  // A directory rename or removal: forgets `dir`, everything below it and the
  // parent's listing.
  void ForgetTree(const std::string& dir);

  bool enabled() const { return ttl_.count() > 0; }

 private:
  struct Stored {
    Entry entry;
    std::chrono::steady_clock::time_point expires;
  };
  struct Listing {
    std::set<std::string> files, dirs;  // names in the directory
    bool complete = true;               // false: only "too large to list"
    bool own = false;                   // a directory this mount created
    std::chrono::steady_clock::time_point expires;
    std::chrono::steady_clock::time_point missing_expires;  // for names it lacks
  };
  std::chrono::steady_clock::time_point Expiry() const;
  std::chrono::steady_clock::time_point MissingExpiry(bool own) const;
  void Put(const std::string& path, Entry entry, bool own = false);
  // Keeps a fresh listing of `path`'s parent in step with a change of `path`.
  void NoteInParent(const std::string& path, std::optional<Entry::Kind> kind)
      EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops expired entries now and then, so the maps stay bounded by what the
  // TTL keeps alive.
  void PruneLocked() EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::chrono::milliseconds ttl_;
  Clock* const clock_;
  Mutex mu_;
  std::map<std::string, Stored> entries_ GUARDED_BY(mu_);
  std::map<std::string, Listing> listings_ GUARDED_BY(mu_);
  size_t puts_since_prune_ GUARDED_BY(mu_) = 0;
};

}  // namespace partfs

#endif  // PARTFS_FS_ATTR_CACHE_H_
