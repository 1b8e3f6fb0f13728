// AttrStore: object attributes that survive a remount (the ETag, size and
// user metadata a HEAD returned or an upload sent), so that after a remount a
// directory listing, which carries ETag and size but no metadata, is enough to
// answer stat without a HEAD per file.
//
// An LMDB environment of its own (cache_dir/attrs/), written without fsync:
// it is a cache, never a source of truth. An entry is used only while the
// listing's ETag and size match it, so a lost or stale entry costs one HEAD,
// never a wrong answer. Bounded by its map size; once full, it stops recording
// (logged once) and what it has keeps working.
//
// Thread-safe (LMDB serializes writers; readers use their own transactions).
#ifndef PARTFS_CACHE_ATTR_STORE_H_
#define PARTFS_CACHE_ATTR_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/logger.h"
#include "base/status.h"
#include "cache/lmdb_env.h"
#include "transfer/object_store.h"

namespace partfs {

class AttrStore {
 public:
  // Creates `dir` if needed. `logger` must outlive the store.
  static Result<std::unique_ptr<AttrStore>> Open(const std::string& dir, Logger* logger);

  // Remembers the metadata of `key` at ETag `etag` (without quotes) and `size`.
  void Put(const std::string& key, const std::string& etag, uint64_t size,
           const UserMetadata& metadata);
  // The metadata remembered for `key` if it was remembered at this ETag and size.
  std::optional<UserMetadata> Find(const std::string& key, const std::string& etag,
                                   uint64_t size) const;
  void Erase(const std::string& key);

 private:
  AttrStore(std::unique_ptr<LmdbEnv> env, MDB_dbi dbi, Logger* logger)
      : env_(std::move(env)), dbi_(dbi), logger_(logger) {}
  void LogFailureOnce(const Status& status);

  std::unique_ptr<LmdbEnv> env_;
  MDB_dbi dbi_;
  Logger* logger_;
  std::atomic<bool> failure_logged_{false};
};

}  // namespace partfs

#endif  // PARTFS_CACHE_ATTR_STORE_H_
