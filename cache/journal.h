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
  kFailed = 3,           // gave up for now; data kept in the cache, retried on resume
};

std::string_view UploadStateName(UploadState state);

struct FileRecord {
  uint64_t file_id = 0;
  std::string endpoint;   // identity of the store this upload belongs to
  std::string bucket;
  std::string key;        // current object key (changes on rename)
  std::string upload_id;  // empty until CreateMultipartUpload (small files never get one)
  uint64_t base_part_size = 0;   // part-size schedule, stored so resume never recomputes it
  uint32_t parts_per_step = 0;   //   (see cache/part_schedule.h)
  UploadState state = UploadState::kWriting;
  uint64_t size = 0;      // bytes written so far that are durable in parts + cache
  int64_t created_at = 0;   // seconds since the epoch
  int64_t updated_at = 0;
  std::string last_error;   // last failure, for `partfs status`
  UserMetadata metadata;    // sent with Create/Put
};

struct PartRecord {
  uint32_t number = 0;
  uint64_t size = 0;
  std::string etag;  // as returned by UploadPart, without quotes
  std::string md5;   // raw 16-byte MD5 of the part's bytes
};

class Journal {
 public:
  // Opens (creating when !read_only) the LMDB environment in `dir`.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir, bool read_only);
  virtual ~Journal() = default;

  virtual Result<uint64_t> AllocateFileId() = 0;
  virtual Status PutFile(const FileRecord& record) = 0;
  virtual Result<FileRecord> GetFile(uint64_t file_id) = 0;
  // Removes the file record and all its part records in one transaction.
  virtual Status DeleteFile(uint64_t file_id) = 0;
  virtual Status PutPart(uint64_t file_id, const PartRecord& part) = 0;
  // Parts ordered by number.
  virtual Result<std::vector<PartRecord>> GetParts(uint64_t file_id) = 0;
  virtual Result<std::vector<FileRecord>> ListFiles() = 0;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_JOURNAL_H_
