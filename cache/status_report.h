// StatusReport: what `partfs status` shows about a cache directory: every
// journal record (in-flight, crashed or failed upload) with its progress, as a
// plain struct (fs/status_format.h turns it into text or JSON).
//
// Read from a read-only Journal and stat() of part files, so it works while a
// mount holds the directory and after a crash; it never changes anything.
// Pure value types and functions; thread-compatible.
#ifndef PARTFS_CACHE_STATUS_REPORT_H_
#define PARTFS_CACHE_STATUS_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/journal.h"
#include "transfer/provider_profile.h"

namespace partfs {

struct FileStatus {
  uint64_t file_id = 0;
  std::string endpoint;
  std::string bucket;
  std::string key;
  std::string upload_id;
  UploadState state = UploadState::kWriting;
  uint64_t size = 0;            // current size: max(journaled size, uploaded + cached)
  uint32_t parts_uploaded = 0;  // journaled parts
  uint32_t parts_total = 0;     // parts the schedule needs for `size`
  uint64_t bytes_uploaded = 0;  // sum of journaled parts
  uint64_t bytes_cached = 0;    // bytes in part files (files/<id>/ or lost+found/<id>/)
  uint32_t part_files = 0;
  bool in_lost_found = false;  // recovery gave up; data moved to lost+found/<id>/
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t age_seconds = 0;  // now - created_at
  std::string last_error;
  uint32_t retries = 0;  // in-mount retries of a failed upload so far
  int64_t retry_at = 0;  // next retry, seconds since the epoch (0 = none scheduled)
};

struct StatusReport {
  std::string cache_dir;
  int mount_pid = 0;                      // pid in LOCK when that process is alive, else 0
  std::vector<FileStatus> files;          // by file id
  std::vector<uint64_t> damaged_records;  // journal records that do not decode: set aside
  uint64_t total_bytes_cached = 0;
  uint64_t total_bytes_uploaded = 0;
};

// Opens `cache_dir`'s journal read-only. NotFound when there is no journal.
// `now` in seconds since the epoch (0 = current time). `profile` supplies the
// part limits for the part count.
Result<StatusReport> ReadStatusReport(const std::string& cache_dir, const ProviderProfile& profile,
                                      int64_t now);

}  // namespace partfs

#endif  // PARTFS_CACHE_STATUS_REPORT_H_
