// The "mount totals" section `partfs status` prints from the metrics snapshot
// file (fs/metrics_snapshot_file.h). Pure functions; thread-safe.
#ifndef PARTFS_FS_METRICS_FORMAT_H_
#define PARTFS_FS_METRICS_FORMAT_H_

#include <cstdint>
#include <string>

#include "fs/metrics_snapshot_file.h"

namespace partfs {

// `mount_pid`: the pid holding the cache dir's LOCK (0 = no mount). The
// snapshot is live when it was written by that pid and not at unmount.
std::string FormatMountMetrics(const MetricsFileContent& content, int mount_pid, int64_t now);

}  // namespace partfs

#endif  // PARTFS_FS_METRICS_FORMAT_H_
