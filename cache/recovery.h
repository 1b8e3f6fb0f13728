// RecoveryRunner: finishes the uploads a crashed (or failed) mount left in a
// cache directory, re-sending only the parts the server does not hold.
//
// For each journal FileRecord it recomputes the file from the journal's parts
// plus the part files in files/<id>/ (a part is either journaled, i.e. on the
// server, or its file is in the cache), asks the server what it really holds
// (HEAD the key against the multipart ETag, then ListParts), uploads what is
// missing and completes the object. Records of another endpoint/bucket are
// left untouched. A record that cannot be completed (upload aborted behind our
// back, part files missing or damaged) becomes kFailed with last_error and its
// part files are moved to lost+found/<id>/; data is never deleted unless it is
// known to be on the server in a completed object.
//
// Only records that no live FileWriter owns may be resumed: run it before the
// cache hands out writers, or pass ResumeFiles() ids listed before that.
//
// Thread-safe: ResumeAll/ResumeFiles run files on up to `parallelism` threads;
// files with the same key are resumed one after another in file-id order so the
// newest write wins. The runner borrows the layout, journal, store and logger:
// they must outlive it.
#ifndef PARTFS_CACHE_RECOVERY_H_
#define PARTFS_CACHE_RECOVERY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/logger.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/key_locks.h"
#include "cache/write_cache.h"
#include "transfer/object_store.h"

namespace partfs {

// What happened to one file record.
enum class RecoveryOutcome {
  kCompleted,         // object completed (or PutObject) now; record and part files removed
  kAlreadyCompleted,  // the server already held the completed object; record removed
  kForeign,           // record of another endpoint/bucket: left untouched
  kFailed,            // cannot be completed: kFailed, part files in lost+found/<id>/
  kRetryLater,        // transient error (network, 5xx): kFailed in place, retried next mount
  kSkipped,           // already moved to lost+found by an earlier run: left alone
  kDropped,           // retired (superseded, unlinked): upload aborted, record removed
};

std::string_view RecoveryOutcomeName(RecoveryOutcome outcome);

struct FileRecoveryResult {
  uint64_t file_id = 0;
  std::string key;
  RecoveryOutcome outcome = RecoveryOutcome::kRetryLater;
  uint32_t parts_resent = 0;   // UploadPart calls for parts the server did not hold
  uint32_t parts_adopted = 0;  // server parts the journal did not know, matched by MD5
  uint64_t bytes_sent = 0;
  std::string error;  // empty unless kFailed / kRetryLater
};

struct RecoveryReport {
  uint32_t files_seen = 0;
  uint32_t files_completed = 0;          // kCompleted
  uint32_t files_already_completed = 0;  // kAlreadyCompleted
  uint32_t files_foreign = 0;
  uint32_t files_failed = 0;       // kFailed (moved to lost+found)
  uint32_t files_retry_later = 0;  // kRetryLater
  uint32_t files_skipped = 0;
  uint32_t files_dropped = 0;     // kDropped
  uint32_t renames_finished = 0;  // journaled renames rolled forward
  uint32_t parts_resent = 0;
  uint32_t parts_adopted = 0;
  uint64_t bytes_sent = 0;
  std::vector<FileRecoveryResult> files;  // in file-id order
};

class RecoveryRunner {
 public:
  // `options` supplies endpoint, bucket, profile, boot id, clock (journal
  // timestamps; must not be null) and logger (null logger = quiet).
  // `key_locks` orders completions with the mount's writers; null = a private
  // set (no writers).
  RecoveryRunner(const CacheLayout& layout, Journal& journal, ObjectStore& store,
                 const CacheOptions& options, KeyLocks* key_locks = nullptr);
  RecoveryRunner(const RecoveryRunner&) = delete;
  RecoveryRunner& operator=(const RecoveryRunner&) = delete;

  // Resumes one record. OK when the object is (now) complete or the record is
  // foreign/skipped; otherwise the error that left it kFailed. Details of the
  // last run for this id are in LastResult(file_id).
  Status ResumeFile(uint64_t file_id);

  // Rolls every journaled rename forward (copy if the source is still there,
  // then delete it); returns how many finished. Run before resuming records.
  uint32_t FinishRenames();

  // Resumes every record in the journal (listed at the time of the call).
  RecoveryReport ResumeAll(uint32_t parallelism);
  // Resumes the given records only.
  RecoveryReport ResumeFiles(const std::vector<uint64_t>& file_ids, uint32_t parallelism);

  // Called (on a recovery thread) after each record of ResumeAll/ResumeFiles has been
  // resumed, whatever the outcome. Set it before those calls start.
  void OnFileDone(std::function<void(uint64_t file_id)> callback) {
    on_file_done_ = std::move(callback);
  }

  // Outcome of the last ResumeFile for `file_id` (outcome kRetryLater, empty key if never run).
  FileRecoveryResult LastResult(uint64_t file_id) const;

  // Stops between parts/files (shutdown); running calls return Aborted, records stay as they are.
  void Cancel() { cancelled_.store(true); }

 private:
  class FileJob;  // one file's resume, recovery.cc

  RecoveryReport RunJobs(std::vector<FileRecord> records, uint32_t parallelism);
  // Rolls one directory rename forward (cache/prefix_rename.h); true when it ended.
  bool FinishPrefixRename(const RenameRecord& rename);
  // The journaled metadata change of `key` (PendingMetadataRecord) when it was
  // made for `info`'s version: a rename's copy carries it.
  std::optional<UserMetadata> PendingMetadataOf(const std::string& key, const ObjectInfo& info);
  void Record(const FileRecoveryResult& result);

  const CacheLayout layout_;
  Journal& journal_;
  ObjectStore& store_;
  const CacheOptions options_;
  Logger* const logger_;
  KeyLocks own_locks_;
  KeyLocks* const key_locks_;
  std::atomic<bool> cancelled_{false};
  std::function<void(uint64_t)> on_file_done_;  // set before any run; read-only while running

  mutable Mutex mu_;
  std::map<uint64_t, FileRecoveryResult> results_ GUARDED_BY(mu_);
};

}  // namespace partfs

#endif  // PARTFS_CACHE_RECOVERY_H_
