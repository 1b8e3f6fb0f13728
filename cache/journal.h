// Journal: the LMDB-backed record of every in-flight upload in a cache directory.
//
// It is the source of truth for crash resume: a FileRecord per file being
// uploaded (keyed by a file id that survives renames) and a PartRecord per
// finished part. Every mutating call is one LMDB write transaction committed
// durably (fsync) before it returns. Schema: docs/DESIGN.md "Journal".
//
// Thread-safe: LMDB serializes writers; readers use their own transactions.
// A read-only Journal (for `partfs status`) can be opened while a mount holds
// the cache directory.
#ifndef PARTFS_CACHE_JOURNAL_H_
#define PARTFS_CACHE_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "transfer/object_store.h"

namespace partfs {

enum class UploadState : uint8_t {
  kWriting = 1,          // open for writing; parts being uploaded as they fill
  kPendingComplete = 2,  // closed (or crashed): every byte is in parts on the server or in cache
  kFailed = 3,           // gave up for now; data kept in the cache, retried later
  // Superseded (a newer write of the key started), unlinked or renamed over:
  // never completed. Its upload is aborted and its data dropped (recovery does
  // it for records no live writer owns).
  kRetired = 4,
  // The object exists on the server (completed_etag); only the metadata copy
  // and the cleanup of the record and part files may be left.
  kCompleted = 5,
};

std::string_view UploadStateName(UploadState state);

enum class BaseState : uint8_t {
  kNone = 0,     // a new object (create, O_TRUNC): no base
  kLoading = 1,  // copying the base into the upload: recovery drops the record
  kLoaded = 2,   // every byte of the base is journaled or in part files
};

struct FileRecord {
  uint64_t file_id = 0;
  std::string endpoint;  // identity of the store this upload belongs to
  std::string bucket;
  std::string key;              // current object key (changes on rename)
  std::string upload_id;        // empty until CreateMultipartUpload (small files never get one)
  uint64_t base_part_size = 0;  // part-size schedule, stored so resume never recomputes it
  uint32_t parts_per_step = 0;  //   (see cache/part_schedule.h)
  UploadState state = UploadState::kWriting;
  uint64_t size = 0;       // bytes written so far that are durable in parts + cache
  int64_t created_at = 0;  // seconds since the epoch
  int64_t updated_at = 0;
  std::string last_error;  // last failure, for `partfs status`
  UserMetadata metadata;   // sent with Create/Put
  // Schema version 2:
  uint64_t accepted_size = 0;    // bytes close() accepted (set when the writer finishes)
  std::string boot_id;           // kernel boot id when accepted_size was journaled
  int64_t upload_intent_at = 0;  // set before CreateMultipartUpload (orphan discovery)
  std::string completed_etag;    // ETag Complete/PutObject returned (state kCompleted)
  uint32_t retries = 0;          // in-mount retries of a failed record so far
  int64_t retry_at = 0;          // next in-mount retry (seconds since the epoch), 0 = none
  // Schema version 3: an in-place change of an existing object (append, a write
  // without O_TRUNC, truncate to a non-zero size). The new version starts as a
  // copy of the base object (UploadPartCopy of its full parts, the rest read
  // into the tail part file); until that copy is journaled whole (kLoaded) the
  // record must never complete, or a crash would publish a cut-off copy.
  BaseState base_state = BaseState::kNone;
  uint64_t base_size = 0;  // bytes of the base object
  std::string base_etag;   // its ETag when the change started
  // Schema version 4: created with O_EXCL. The object is completed only if
  // the key has none (transfer/conditional_create.h), also by recovery.
  bool exclusive = false;
};

// A rename of a closed object (CopyObject, then DeleteObject) in progress:
// journaled before the copy and rolled forward at the next mount.
struct RenameRecord {
  uint64_t id = 0;
  std::string endpoint;
  std::string bucket;
  std::string from;  // source key
  std::string to;    // destination key
  int64_t created_at = 0;
  // Version 2: a directory rename. `from` and `to` are key prefixes ("a/b/"),
  // and every key under `from` moves to the same name under `to`.
  bool prefix = false;
};

// A metadata change (chmod, chown, utimens) of a closed object in honest
// mode, journaled before setattr returns. It is applied later by a copy of the
// object onto itself (or merged into a following rename's copy), and only
// while the object still has `etag` and `size`: a newer version wins, a
// deleted object is never brought back. One record per key.
struct PendingMetadataRecord {
  std::string endpoint;
  std::string bucket;
  std::string key;
  std::string etag;  // of the object the change applies to, without quotes
  uint64_t size = 0;
  UserMetadata metadata;  // the full new user metadata
  int64_t updated_at = 0;
};

struct PartRecord {
  uint32_t number = 0;
  uint64_t size = 0;
  std::string etag;  // as returned by UploadPart, without quotes
  std::string md5;   // raw 16-byte MD5 of the part's bytes
};

// The Status PutFile returns for a retired record (and writers and recovery
// for a completion that found its record retired): code kSuperseded.
inline Status RetiredStatus() {
  return Status::Superseded(
      "the record was retired: a newer write, an unlink or a rename replaced this file");
}
inline bool IsRetired(const Status& status) { return status.code() == Status::Code::kSuperseded; }

class Journal {
 public:
  // Opens (creating when !read_only) the LMDB environment in `dir`.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir, bool read_only);
  virtual ~Journal() = default;

  virtual Result<uint64_t> AllocateFileId() = 0;
  // Writes `record`. Refused with IsRetired(status) when the journal holds the
  // record as kRetired and `record` is not: retirement is final.
  virtual Status PutFile(const FileRecord& record) = 0;
  virtual Result<FileRecord> GetFile(uint64_t file_id) = 0;
  // Removes the file record and all its part records in one transaction.
  virtual Status DeleteFile(uint64_t file_id) = 0;
  virtual Status PutPart(uint64_t file_id, const PartRecord& part) = 0;
  // Parts ordered by number.
  virtual Result<std::vector<PartRecord>> GetParts(uint64_t file_id) = 0;
  // Forgets parts `first` and above (one transaction): a part rewritten after
  // its upload (the new bytes are in its part file) or cut off by a truncate.
  virtual Status DeletePartsFrom(uint64_t file_id, uint32_t first) = 0;
  // Forgets part `number` only.
  virtual Status DeletePart(uint64_t file_id, uint32_t number) = 0;
  // Every record that decodes; damaged ones are skipped (see CorruptFileIds).
  virtual Result<std::vector<FileRecord>> ListFiles() = 0;
  // Ids of file records that do not decode (set aside: never resumed or deleted).
  virtual Result<std::vector<uint64_t>> CorruptFileIds() = 0;

  // Generation rules (one write transaction each, so a crash keeps all or none).
  // Each of the three also drops unfinished renames from or onto the key(s) it
  // touches: a newer operation supersedes a rename a crash left half done.
  // Puts `record` and retires every other record of the same endpoint, bucket
  // and key that is not retired yet (a newer write or rename supersedes them).
  // The ids retired are appended to `retired` (may be null).
  virtual Status PutFileRetiringOthers(const FileRecord& record,
                                       std::vector<uint64_t>* retired) = 0;
  // Retires every record of the key (unlink).
  virtual Status RetireKey(const std::string& endpoint, const std::string& bucket,
                           const std::string& key, std::vector<uint64_t>* retired) = 0;
  // Journals a rename of a closed object before its copy (dropping older
  // unfinished renames of both keys). Busy when `rename.from` has a record with
  // a multipart upload that is not in `keep_key` (it cannot follow the rename).
  // Returns the rename's id (rename.id is ignored).
  // A prefix rename (rename.prefix) checks every record under `from` the same
  // way; it drops no other rename (a rename of a single key is exact).
  virtual Result<uint64_t> BeginRename(const RenameRecord& rename,
                                       const std::vector<uint64_t>& keep_key) = 0;
  // Once the copy exists: retires the records of `rename.to` and moves the
  // unretired records of `rename.from` not in `keep_key` to `rename.to`
  // (pending versions follow the file). Idempotent; recovery calls it again.
  // A prefix rename moves every such record under `from` to the same name
  // under `to` and retires nothing: its target was an empty directory, and
  // writers rekeyed into it before a crash must survive the roll-forward.
  virtual Status CommitRename(const RenameRecord& rename, const std::vector<uint64_t>& keep_key,
                              std::vector<uint64_t>* retired) = 0;
  virtual Status EndRename(uint64_t rename_id) = 0;
  virtual Result<std::vector<RenameRecord>> ListRenames() = 0;

  // Pending metadata changes (PendingMetadataRecord), one per endpoint/bucket/key.
  // Put replaces the key's record.
  virtual Status PutPendingMetadata(const PendingMetadataRecord& record) = 0;
  // No-op when the key has none.
  virtual Status DropPendingMetadata(const std::string& endpoint, const std::string& bucket,
                                     const std::string& key) = 0;
  virtual Result<std::vector<PendingMetadataRecord>> ListPendingMetadata() = 0;

  // OK while the journal works; else the first fatal error of its environment
  // (after it every call fails: the mount must stop, see fs/mount_command.cc).
  virtual Status Health() const = 0;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_JOURNAL_H_
