#include "cache/status_report.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>

#include "cache/cache_dir.h"
#include "cache/cache_layout.h"
#include "cache/part_schedule.h"
#include "cache/recovery_local.h"

namespace partfs {
namespace {

// The pid written into LOCK by the mount, when that process still exists.
int LivePidFromLock(const CacheLayout& layout) {
  const int pid = LockHolderPid(layout);
  if (pid == 0) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return pid;
  return 0;
}

FileStatus Summarize(const CacheLayout& layout, const FileRecord& record,
                     const std::vector<PartRecord>& parts, const ProviderProfile& profile,
                     int64_t now) {
  FileStatus f;
  f.file_id = record.file_id;
  f.endpoint = record.endpoint;
  f.bucket = record.bucket;
  f.key = record.key;
  f.upload_id = record.upload_id;
  f.state = record.state;
  f.created_at = record.created_at;
  f.updated_at = record.updated_at;
  f.age_seconds = record.created_at > 0 ? now - record.created_at : 0;
  f.last_error = record.last_error;
  f.retries = record.retries;
  f.retry_at = record.retry_at;
  f.parts_uploaded = static_cast<uint32_t>(parts.size());
  for (const auto& p : parts) f.bytes_uploaded += p.size;
  const std::string lost = layout.LostFoundFileDir(record.file_id);
  struct stat st;
  f.in_lost_found = ::stat(lost.c_str(), &st) == 0;
  // The highest part number seen anywhere bounds the total from below, even
  // when a part in the middle is missing (its bytes then count nowhere).
  uint32_t highest = 0;
  for (const auto& p : parts) highest = std::max(highest, p.number);
  uint32_t highest_file = 0;
  f.bytes_cached = PartBytesInDir(layout.FileDir(record.file_id), &f.part_files, &highest_file);
  highest = std::max(highest, highest_file);
  if (f.in_lost_found) {
    uint32_t lost_files = 0;
    f.bytes_cached += PartBytesInDir(lost, &lost_files, &highest_file);
    f.part_files += lost_files;
    highest = std::max(highest, highest_file);
  }
  // A stale copy of a journaled part (crash between PutPart and unlink) may be
  // counted twice here; the size is an estimate for display only.
  f.size = std::max(record.size, f.bytes_uploaded + f.bytes_cached);
  if (record.base_part_size > 0 && record.parts_per_step > 0 && f.size > 0) {
    PartSchedule schedule(record.base_part_size, record.parts_per_step, profile.max_part_size,
                          profile.max_part_count);
    f.parts_total = schedule.PartForOffset(f.size - 1);
  }
  f.parts_total = std::max(f.parts_total, highest);
  return f;
}

}  // namespace

Result<StatusReport> ReadStatusReport(const std::string& cache_dir, const ProviderProfile& profile,
                                      int64_t now) {
  if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
  CacheLayout layout(cache_dir);
  struct stat st;
  if (::stat(layout.JournalDir().c_str(), &st) != 0) {
    return Status::NotFound("no journal in " + cache_dir + " (not a partfs cache directory?)");
  }
  auto journal = Journal::Open(layout.JournalDir(), /*read_only=*/true);
  if (!journal.ok()) return journal.status().WithContext("opening the journal read-only");
  auto records = (*journal)->ListFiles();
  if (!records.ok()) return records.status().WithContext("reading the journal");
  StatusReport report;
  report.cache_dir = cache_dir;
  report.mount_pid = LivePidFromLock(layout);
  auto damaged = (*journal)->CorruptFileIds();
  if (damaged.ok()) report.damaged_records = *damaged;
  for (const auto& record : *records) {
    auto parts = (*journal)->GetParts(record.file_id);
    if (!parts.ok()) return parts.status().WithContext("reading parts of " + record.key);
    report.files.push_back(Summarize(layout, record, *parts, profile, now));
    report.total_bytes_cached += report.files.back().bytes_cached;
    report.total_bytes_uploaded += report.files.back().bytes_uploaded;
  }
  std::sort(report.files.begin(), report.files.end(),
            [](const FileStatus& a, const FileStatus& b) { return a.file_id < b.file_id; });
  return report;
}

}  // namespace partfs
