// FileWriterImpl: the FileWriter of cache/write_cache.h.
//
// Streams one file's writes into part files (files/<id>/part-<n>) sized by
// the PartSchedule stored in its FileRecord. When a write reaches the next
// part, the filled part is handed to the shared UploadPool (the multipart
// upload is created lazily at the first hand-off), whose job sends it with the
// PartUploader (UploadPart, then PutPart, then unlink; cache/part_uploader.h).
// Finish() uploads the tail and completes the object, or sends a file that
// fits in part 1 with one PutObject. Failures keep every byte in the cache
// and journal (state kFailed); a later Finish() retries what is missing.
//
// Generations: the writer's record can be retired at any time (a newer write
// of the key, an unlink, a rename onto it; see Journal::PutFileRetiringOthers).
// A retired writer never completes: Finish aborts its upload and drops its
// data. Completion (PutObject / CompleteMultipartUpload and the metadata copy)
// runs under the key's lock in KeyLocks and re-checks retirement there.
//
// Thread-safe. Locks, in acquisition order:
//   op_mu_      serializes Write/Truncate/Sync/Finish of this file; held while
//               they block on the budget, the in-flight bound or uploads.
//   key lock    (KeyLocks) around completion only.
//   record_mu_  serializes journal writes of the FileRecord (snapshot + PutFile).
//   mu_         state shared with upload jobs (parts, record, size); never
//               held across I/O except journal-free bookkeeping.
// Upload jobs take only mu_; Rekey and MarkRetired take no op_mu_ (callers hold
// key locks). The destructor waits for this file's running jobs; the
// WriterContext's objects must outlive the writer.
#ifndef PARTFS_CACHE_FILE_WRITER_IMPL_H_
#define PARTFS_CACHE_FILE_WRITER_IMPL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "cache/cache_budget.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/key_locks.h"
#include "cache/part_file.h"
#include "cache/part_schedule.h"
#include "cache/part_uploader.h"
#include "cache/upload_pool.h"
#include "cache/write_cache.h"
#include "transfer/object_store.h"

namespace partfs {

// What a writer borrows from its WriteCache.
struct WriterContext {
  CacheLayout layout{""};
  Journal* journal = nullptr;
  ObjectStore* store = nullptr;
  UploadPool* pool = nullptr;
  CacheBudget* budget = nullptr;
  Logger* logger = nullptr;
  KeyLocks* key_locks = nullptr;
  ProviderProfile profile;
  uint32_t max_parts_in_flight = 1;  // per file, so one file cannot take the whole pool
  std::string boot_id;               // journaled with accepted_size (see recovery)
  Clock* clock = SystemClock();      // journal timestamps
  // Records retired by this writer's Rekey (their live writers must be told).
  std::function<void(const std::vector<uint64_t>&)> on_retired;
  // The writer is destroyed with its record kFailed: retry it in the background.
  std::function<void(uint64_t file_id)> on_failed_abandoned;
};

class FileWriterImpl : public FileWriter {
 public:
  // `record` is already in the journal (state kWriting, no upload id) and
  // files/<id>/ exists.
  FileWriterImpl(const WriterContext& context, FileRecord record);
  ~FileWriterImpl() override;
  FileWriterImpl(const FileWriterImpl&) = delete;
  FileWriterImpl& operator=(const FileWriterImpl&) = delete;

  Result<size_t> Write(uint64_t offset, const char* data, size_t size) override;
  Status Truncate(uint64_t size) override;
  Result<size_t> Read(uint64_t offset, size_t size, char* buf) override;
  // For a record journaled with BaseState::kLoading (WriteCache::StartModify):
  // copies the base object into the upload (file_writer_modify.cc), then
  // journals kLoaded. On failure the caller retires and finishes the writer.
  Status LoadBase();
  Status Sync() override;
  Status Persist() override;
  Status Finish() override;
  bool SetMetadata(const UserMetadata& metadata) override;
  Status Rekey(const std::string& new_key) override;
  void MarkRetired() override;

  uint64_t Size() const override;
  bool Finished() const override;
  bool UploadCreated() const override;
  std::string Key() const override;
  std::string ObjectEtag() const override;

  uint64_t file_id() const override { return file_id_; }

 private:
  enum class PartState { kUploading, kDone, kFailed };
  struct Part {
    // Null once uploaded and unlinked, unless kept as a clean copy (the fd of
    // the unlinked file, counted in the budget) for reads and rewrites.
    std::shared_ptr<PartFile> file;
    bool kept = false;       // `file` is such a clean copy
    bool from_base = false;  // a copy of the base object's bytes (GET-able there)
    uint64_t size = 0;
    PartState state = PartState::kUploading;
    Status error;
    PartRecord uploaded;  // valid when kDone: as journaled
  };

  // Wall time for journal timestamps, from the cache's clock.
  int64_t Now() const { return ctx_.clock->WallSeconds(); }
  Status CheckWritable() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // One log line for a failed write into the cache; names a full cache disk.
  void LogCacheWriteFailure(const Status& status);
  // Hands off parts until `offset` lies in the current part.
  Status AdvanceTo(uint64_t offset) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  Status EnsureCurrentFile() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Makes a size grown lazily by Truncate real: hands off the parts before the last byte's.
  Status MaterializeSize() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Sets the current part file's length, reserving/releasing budget.
  Status ResizeCurrent(uint64_t length) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  Status EnsureUpload() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Hands `file` (part `number`, `size` bytes) to the upload pool.
  Status HandOff(uint32_t number, std::shared_ptr<PartFile> file, uint64_t size)
      EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  void SubmitLocked(uint32_t number) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // In-place changes and rewrites (file_writer_modify.cc).
  // UploadPartCopy of part `number` from the base object (a pool job).
  void CopyJob(uint32_t number, std::string key, std::string upload_id, std::string source);
  // Reads [offset, offset+size) of object `key` into `file` at `at`, in chunks.
  Status FetchBase(const std::string& key, uint64_t offset, uint64_t size, PartFile& file,
                   uint64_t at);
  // Writes into part `number` < cur_part_ (the part is brought back first).
  Status WriteEarlier(uint32_t number, uint64_t in_part, const char* data, size_t size)
      EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Makes part `number` (< cur_part_, handed off) a local part file again with
  // its current bytes, forgets its journaled upload, and returns it.
  Result<std::shared_ptr<PartFile>> BringBack(uint32_t number) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Truncate to `size` below cur_start_: the part holding the new end becomes
  // the current part again; later parts are dropped.
  Status ShrinkBelowCurrent(uint64_t size) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Bytes of part `number` for Read: from a local or kept file, the base, or zeros.
  Status ReadPart(uint32_t number, uint64_t in_part, size_t size, char* buf)
      EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Hands off the rewritten earlier parts (Finish).
  Status HandOffDirty() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Drops a kept clean copy and its budget.
  void DropKept(Part& part) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UploadJob(uint32_t number, std::shared_ptr<PartFile> file, uint64_t size, std::string key,
                 std::string upload_id);
  void RetryFailedParts() LOCKS_EXCLUDED(mu_);
  // Waits for every handed-off part; the first failure, if any.
  Status WaitForParts();
  Status SyncPartFiles() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Journals a snapshot of record_ with `put` (default: Journal::PutFile);
  // record_mu_ keeps the snapshots landing in the order they were taken.
  Status PersistRecord(const std::function<Status(const FileRecord&)>& put = nullptr)
      LOCKS_EXCLUDED(record_mu_, mu_);
  Status FinishSingle() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  Status FinishMultipart() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // After the object exists: copies metadata changed since `sent` onto it, then
  // seals the metadata so later SetMetadata calls are refused, not lost.
  void ApplyLateMetadata(UserMetadata sent) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  Status RecordFailure(const Status& status) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  void MarkOnServer();
  Status Cleanup() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Takes the key lock of the record's current key (re-taken if a rename
  // changed the key meanwhile); RetiredStatus() when retired.
  Result<KeyLocks::Guard> LockKeyForCompletion(std::string* key);
  bool Retired() const;
  // Finish of a retired writer: abort the upload, drop record and part files.
  Status AbandonRetired() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Finish of an O_EXCL file whose key another writer created first: abort
  // the upload, drop record and part files, return `lost` (AlreadyExists).
  Status DropLostCreate(const Status& lost) EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  // Drops the local part files of parts `first` and above (rewritten, current,
  // kept copies, failed uploads) with their budget, and forgets those parts.
  void DropLocalParts(uint32_t first) EXCLUSIVE_LOCKS_REQUIRED(op_mu_) LOCKS_EXCLUDED(mu_);
  // Removes part files and files/<id>/ after the record is gone.
  void RemoveLocalData() EXCLUSIVE_LOCKS_REQUIRED(op_mu_);

  const WriterContext ctx_;
  const uint64_t file_id_;
  const PartSchedule schedule_;
  PartUploader uploader_;

  Mutex op_mu_;
  // Only public operations touch these:
  uint32_t cur_part_ GUARDED_BY(op_mu_) = 1;
  uint64_t cur_start_ GUARDED_BY(op_mu_) = 0;
  uint64_t cur_size_ GUARDED_BY(op_mu_) = 0;
  std::shared_ptr<PartFile> cur_file_ GUARDED_BY(op_mu_);
  bool tail_handed_off_ GUARDED_BY(op_mu_) = false;
  // Parts before cur_part_ written again after their hand-off: local files,
  // not journaled as uploaded, sent again by Finish (Sync makes them durable).
  std::map<uint32_t, std::shared_ptr<PartFile>> dirty_ GUARDED_BY(op_mu_);
  // The object an in-place change copies from (the key when it started).
  std::string base_key_ GUARDED_BY(op_mu_);

  Mutex record_mu_;

  mutable Mutex mu_;
  CondVar cv_{&mu_};
  FileRecord record_ GUARDED_BY(mu_);
  bool upload_id_journaled_ GUARDED_BY(mu_) = false;
  // The metadata CreateMultipartUpload sent; Finish re-applies record_.metadata
  // with a CopyObject when it differs.
  std::optional<UserMetadata> created_metadata_ GUARDED_BY(mu_);
  bool metadata_sealed_ GUARDED_BY(mu_) = false;
  std::string object_etag_ GUARDED_BY(mu_);  // of the completed object ("" unknown)
  uint64_t size_ GUARDED_BY(mu_) = 0;
  bool finished_ GUARDED_BY(mu_) = false;
  // The object exists on the server (set under the key lock, before Cleanup):
  // from then on the writer counts as finished, so a rename copies the object
  // instead of rekeying a write that already landed under the old key.
  bool on_server_ GUARDED_BY(mu_) = false;
  bool retired_ GUARDED_BY(mu_) = false;
  std::map<uint32_t, Part> parts_ GUARDED_BY(mu_);
  uint32_t in_flight_ GUARDED_BY(mu_) = 0;
  // Keep uploaded parts as clean copies while the budget has room: set for
  // in-place changes and once a read or a write goes back into the file.
  bool keep_uploaded_ GUARDED_BY(mu_) = false;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_FILE_WRITER_IMPL_H_
