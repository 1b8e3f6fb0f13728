// The text forms of a StatusReport (cache/status_report.h) that `partfs status`
// prints, and the human units `partfs gc` and the mount's log share.
//
// Pure functions; thread-safe.
#ifndef PARTFS_FS_STATUS_FORMAT_H_
#define PARTFS_FS_STATUS_FORMAT_H_

#include <cstdint>
#include <string>

#include "cache/status_report.h"

namespace partfs {

// A table for people: one line per file, an error line under failed files, a summary.
std::string FormatStatusTable(const StatusReport& report);
// One JSON object: {"cache_dir":..., "mount_pid":..., "files":[{...}], ...}.
std::string FormatStatusJson(const StatusReport& report);

// "1.5 GiB", "12 KiB", "512 B".
std::string HumanBytes(uint64_t bytes);
// "45s", "3m12s", "2h05m", "3d04h".
std::string HumanAge(int64_t seconds);

}  // namespace partfs

#endif  // PARTFS_FS_STATUS_FORMAT_H_
