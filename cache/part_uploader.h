// PartUploader: the one owner of a multipart upload's durable part steps,
// used by FileWriterImpl (from its UploadPool jobs) and by recovery, so both
// follow the order of docs/DESIGN.md "Order of durable steps" rule 3 and 5:
//
//   Send            UploadPart with Content-MD5 -> Journal::PutPart (durable)
//                   -> unlink the part file. A part is always journaled (on the
//                   server) or in the cache, never neither.
//   RecordUploaded  the last two steps alone, for a part the server already
//                   holds (recovery adopting a part sent before a crash).
//   Complete        CompleteMultipartUpload of parts 1..N as journaled, with
//                   the multipart ETag their MD5s imply.
//   RecordCompleted journals the record kCompleted with the returned ETag,
//                   before anything (a metadata copy) changes the object.
//
// Synchronous: every call blocks on the store and the journal; callers that
// want parallel parts (the writer) call Send from their own pool. Cache
// budget accounting stays with the caller that reserved the bytes.
// Errors: the store's and journal's Status values, a retired record as
// IsRetired() (cache/journal.h), the named errors of cache/upload_errors.h.
//
// Thread-safe (no state of its own). Borrows the journal, store and logger:
// they must outlive it.
#ifndef PARTFS_CACHE_PART_UPLOADER_H_
#define PARTFS_CACHE_PART_UPLOADER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "base/status.h"
#include "cache/journal.h"
#include "transfer/object_store.h"

namespace partfs {

// The multipart upload a part belongs to.
struct UploadTarget {
  uint64_t file_id = 0;  // journal record the parts are journaled under
  std::string key;
  std::string upload_id;
};

// A part file to send: bytes [0, size) of `fd`.
struct PartSource {
  uint32_t number = 0;
  int fd = -1;  // open for reading; must stay open until Send returns
  uint64_t size = 0;
  std::string md5;   // raw 16-byte MD5 of those bytes (sent as Content-MD5)
  std::string path;  // the part file, unlinked once the part is journaled
};

// An ETag as partfs journals and compares it: no quotes, lower case.
std::string NormalizeEtag(std::string_view quoted);

class PartUploader {
 public:
  PartUploader(Journal* journal, ObjectStore* store, Logger* logger);
  PartUploader(const PartUploader&) = delete;
  PartUploader& operator=(const PartUploader&) = delete;

  // Uploads `part` and journals it; returns what was journaled. On failure the
  // part file stays (a failed UploadPart has context "UploadPart <n>").
  Result<PartRecord> Send(const UploadTarget& target, const PartSource& part);

  // Journals `part` (already on the server) for `file_id`, then unlinks `path`.
  Status RecordUploaded(uint64_t file_id, const PartRecord& part, const std::string& path);

  // Completes the upload from `parts` (numbers 1..N in order: MissingPartError
  // otherwise) and returns the object's ETag. An ETag other than the expected
  // multipart ETag is logged (UnexpectedCompletedEtag), not a failure: the
  // object exists. `if_absent` (an O_EXCL file): completed only if the key has
  // no object, else Status AlreadyExists (the upload is left to the caller).
  Result<std::string> Complete(const UploadTarget& target, const std::vector<PartRecord>& parts,
                               bool if_absent);

  // Journals `record` as kCompleted with `etag` (updated_at as given by the
  // caller). Refused with IsRetired(status) when the record was retired.
  Status RecordCompleted(FileRecord record, const std::string& etag);

 private:
  // Unlinks a part file the journal now covers; a failure only leaves a stale copy.
  void RemovePartFile(const std::string& path);

  Journal* const journal_;
  ObjectStore* const store_;
  Logger* const logger_;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_PART_UPLOADER_H_
