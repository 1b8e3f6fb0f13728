// Named errors of the part-upload pipeline (cache/part_uploader.h), shared by
// the writer and recovery so each failure reads the same wherever it arises.
// A superseded (retired) record is not among them: it is Journal's refusal,
// RetiredStatus() in cache/journal.h.
//
// Pure functions returning Status values; thread-safe.
#ifndef PARTFS_CACHE_UPLOAD_ERRORS_H_
#define PARTFS_CACHE_UPLOAD_ERRORS_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace partfs {

// The parts to complete do not run 1..N: `number` is the first one absent.
Status MissingPartError(uint32_t number, const std::string& key);

// CompleteMultipartUpload answered with an ETag other than the multipart ETag
// of the parts' MD5s. Logged: the object exists, so it is not a failure.
Status UnexpectedCompletedEtag(const std::string& key, const std::string& etag,
                               const std::string& expected);

// A journaled part the server lacks (or holds with other bytes) whose part
// file is gone: nothing can re-send it. `server_has_other` tells which.
Status LostJournaledPart(uint32_t number, bool server_has_other);

// A journaled part the server lacks whose leftover part file holds bytes
// other than the journaled ones (hex MD5s of file and journal).
Status DamagedPartFile(uint32_t number, const std::string& file_md5_hex,
                       const std::string& journal_md5_hex);

}  // namespace partfs

#endif  // PARTFS_CACHE_UPLOAD_ERRORS_H_
