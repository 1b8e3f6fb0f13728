// WriteCache and FileWriter: the cache layer's surface for the FUSE layer.
//
// WriteCache owns one cache directory (created 0700 and locked with flock so a
// second mount on it is refused), its Journal, the shared pool of upload
// workers and the byte budget (cache_size) that applies backpressure to
// writers. FileWriter buffers one file's writes into part files and uploads
// each full part while writing continues.
//
// Both classes are thread-safe. A FileWriter keeps its WriteCache alive only
// through the raw pointer it was created with: destroy every FileWriter
// before the WriteCache.
#ifndef PARTFS_CACHE_WRITE_CACHE_H_
#define PARTFS_CACHE_WRITE_CACHE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/metrics.h"
#include "base/status.h"
#include "cache/journal.h"
#include "cache/key_locks.h"
#include "transfer/object_store.h"
#include "transfer/provider_profile.h"

namespace partfs {

struct CacheOptions {
  std::string cache_dir;
  uint64_t cache_size = 4ull << 30;  // max bytes of part data held on local disk
  uint64_t part_size = 8ull << 20;   // first part size; grows by schedule for huge files
  uint32_t upload_threads = 4;       // shared pool of UploadPart workers
  ProviderProfile profile = ProfileFor(Provider::kS3);
  std::string endpoint;  // recorded in the journal to recognise foreign records on resume
  std::string bucket;
  Logger* logger = nullptr;  // never null after WriteCache::Open
  // Counts recoveries (run, completed); null: not counted. Must outlive the cache.
  Metrics* metrics = nullptr;
  // Journal timestamps, retry backoff and recovery waits read this clock (tests
  // pass a FakeClock); must outlive the cache.
  Clock* clock = SystemClock();
  // The kernel boot id; "" = read it at Open. Tests set another one to act out
  // a reboot (a power loss) between two mounts.
  std::string boot_id;
  // First delay of the in-mount retry of a failed upload; doubles per retry up
  // to retry_backoff_max.
  std::chrono::milliseconds retry_backoff{std::chrono::seconds(5)};
  std::chrono::milliseconds retry_backoff_max{std::chrono::minutes(5)};
  // Tests wrap the journal to inject failures at a chosen call (leveldb's
  // EnvWrapper idea); null = the LMDB journal as it is.
  std::function<std::unique_ptr<Journal>(std::unique_ptr<Journal>)> wrap_journal;
};

class FileWriter {
 public:
  virtual ~FileWriter() = default;

  // Writes at `offset`; returns the bytes accepted. Sequential writes stream
  // (each full part is uploaded while writing continues); a write into an
  // earlier part brings that part back into the cache (from its kept copy, or
  // a ranged GET of the base object) and uploads it again at Sync/Finish.
  // NeedsCheckpoint when that part's bytes exist only in the unfinished upload.
  // Blocks while the cache is over budget (backpressure); NoSpace only when
  // the disk is full. A failure after some bytes were accepted, or a write
  // reaching past the largest file, returns a short count (never an error for
  // bytes already in the cache).
  virtual Result<size_t> Write(uint64_t offset, const char* data, size_t size) = 0;
  // Changes the file size to any value (growth reads as zeros). A shrink into
  // an uploaded part needs that part's bytes like a write does.
  virtual Status Truncate(uint64_t size) = 0;
  // Reads the file as written so far (holes and growth read as zeros); returns
  // the count (short at the end). NeedsCheckpoint as for Write.
  virtual Result<size_t> Read(uint64_t offset, size_t size, char* buf) = 0;
  // fsync: every full part uploaded and journaled, the tail part durable in the cache.
  virtual Status Sync() = 0;
  // Write-back close: every byte and the metadata durable in the cache (part
  // files fsync'd, the size and metadata journaled), without waiting for any
  // upload; a crash from here on is completed by the next mount's recovery.
  virtual Status Persist() = 0;
  // close/flush: uploads the tail, completes the object (PutObject for a file
  // smaller than one part). Idempotent. After failure the data stays in the
  // cache and journal (state kFailed) and the call may be repeated.
  virtual Status Finish() = 0;
  // Metadata (mode, mtime, ...) to attach to the object. Returns false when the
  // writer can no longer carry it (its object is already complete): the caller
  // then changes the object's metadata itself.
  virtual bool SetMetadata(const UserMetadata& metadata) = 0;
  // Renames the target key before the object is completed; retires the
  // records of `new_key` (the caller holds both keys' locks).
  virtual Status Rekey(const std::string& new_key) = 0;
  // The record was retired (unlink, rename onto the key, newer write): Finish
  // will abort the upload and drop the data instead of completing.
  virtual void MarkRetired() = 0;
  virtual uint64_t file_id() const = 0;

  virtual uint64_t Size() const = 0;
  virtual bool Finished() const = 0;
  // True once CreateMultipartUpload was sent: metadata set after this costs a
  // CopyObject onto the completed object (done by Finish).
  virtual bool UploadCreated() const = 0;
  virtual std::string Key() const = 0;
  // The ETag of the object Finish completed ("" before, or when unknown).
  virtual std::string ObjectEtag() const = 0;
};

class WriteCache {
 public:
  // Creates/locks `options.cache_dir` and opens its journal.
  // Busy when another process holds the cache directory.
  static Result<std::unique_ptr<WriteCache>> Open(const CacheOptions& options, ObjectStore* store);
  virtual ~WriteCache() = default;

  // Starts writing a new version of `key` (the object is replaced on Finish).
  virtual Result<std::shared_ptr<FileWriter>> StartWrite(const std::string& key,
                                                         const UserMetadata& metadata) = 0;

  // As StartWrite, for an O_EXCL create: the object is completed only if the
  // key has none, by Finish and by recovery (journaled); Finish answers
  // AlreadyExists, after dropping this file's data, when another writer won.
  virtual Result<std::shared_ptr<FileWriter>> StartExclusiveWrite(const std::string& key,
                                                                  const UserMetadata& metadata) = 0;

  // Starts an in-place change of the existing object `key` (`base_size` bytes,
  // ETag `base_etag`): the new version begins as a copy of it (UploadPartCopy
  // of its full parts, a ranged GET of the rest into the tail part file), so
  // appending to a large object reads at most one part. Blocks for the copy;
  // journaled as loading until it is whole (recovery never completes a
  // half-made copy). On failure nothing changed on the server.
  virtual Result<std::shared_ptr<FileWriter>> StartModify(const std::string& key,
                                                          const UserMetadata& metadata,
                                                          uint64_t base_size,
                                                          const std::string& base_etag) = 0;

  // Finishes every unfinished file the journal knows (crash resume); runs in
  // the background with bounded parallelism. See cache/recovery.h.
  virtual Status StartRecovery() = 0;
  // Waits until recovery has finished (for tests and `partfs` shutdown).
  virtual void WaitForRecovery() = 0;
  // True from StartRecovery until every journal record of `key` found at Open
  // has been resumed (whatever the outcome): until then the bucket may lack the
  // object or hold an older version. False before StartRecovery.
  virtual bool RecoveryPendingFor(const std::string& key) const = 0;
  // Waits until RecoveryPendingFor(key) is false, at most `timeout`.
  virtual void WaitForRecoveryOf(const std::string& key, std::chrono::milliseconds timeout) = 0;
  // The journal record recovery will complete for `key` (the newest one not
  // retired), while RecoveryPendingFor(key); lets stat answer without waiting.
  virtual std::optional<FileRecord> RecoveringRecord(const std::string& key) = 0;

  // Generations. Whoever deletes or replaces a key on the server holds its
  // lock (cache/key_locks.h) around the journal step and the store call, as
  // completions do, so the newest version of a key always lands last.
  virtual KeyLocks::Guard LockKey(const std::string& key) = 0;
  virtual KeyLocks::Guard LockKeys(const std::string& a, const std::string& b) = 0;
  // Unlink of `key`: retires (durably) every journal record of it; a live
  // writer of it aborts its upload at Finish instead of completing.
  virtual Status RetireKey(const std::string& key) = 0;
  // Rename of a closed object: journaled before CopyObject, committed after it
  // (retiring the records of `to`, moving records no writer owns from `from`
  // to `to`), ended after DeleteObject; a crash in between is rolled forward
  // at the next mount. A failed copy just ends it: nothing changed.
  virtual Result<uint64_t> BeginRename(const std::string& from, const std::string& to) = 0;
  virtual Status CommitRename(const std::string& from, const std::string& to) = 0;
  virtual Status EndRename(uint64_t rename_id) = 0;
  // Directory rename: every key under prefix `from` moves under `to` (both end
  // in '/'). Journaled first (Busy when a record under `from` has a multipart
  // upload no live writer owns: it cannot follow); then FinishPrefixRename
  // copies, commits (pending records follow their files), deletes the sources
  // and ends the record (steps in cache/prefix_rename.h). A failure keeps the
  // record: the next mount rolls the rename forward before it serves.
  // `skip_copy`: source keys whose live writers the caller rekeyed already.
  virtual Result<uint64_t> BeginPrefixRename(const std::string& from, const std::string& to) = 0;
  virtual Status FinishPrefixRename(uint64_t rename_id, const std::string& from,
                                    const std::string& to,
                                    const std::set<std::string>& skip_copy) = 0;
  // Pending metadata changes of this cache's endpoint and bucket (see
  // PendingMetadataRecord): journaled durably, one per key (Put replaces it).
  virtual Status PutPendingMetadata(const std::string& key, const std::string& etag, uint64_t size,
                                    const UserMetadata& metadata) = 0;
  virtual Status DropPendingMetadata(const std::string& key) = 0;
  virtual Result<std::vector<PendingMetadataRecord>> ListPendingMetadata() = 0;
  // A server-side copy of any size (cache/object_copy.h): one CopyObject up to
  // the profile's single-request limit, else a parallel multipart copy.
  virtual Result<std::string> CopyObject(const std::string& source_key, uint64_t source_size,
                                         const std::string& dest_key, MetadataDirective directive,
                                         const UserMetadata& metadata) = 0;
  // OK while the journal works; else its fatal error (the mount must stop).
  virtual Status JournalHealth() const = 0;
  // Failed uploads waiting for their in-mount retry (with backoff).
  virtual size_t RetriesPending() const = 0;

  // Bytes of part data currently held on local disk.
  virtual uint64_t CachedBytes() const = 0;
  virtual Journal& journal() = 0;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_WRITE_CACHE_H_
