// The metrics snapshot file: how `partfs status` learns the totals of the
// running mount. The mount writes it into its cache dir (CacheLayout::
// MetricsFile) every second and once more at unmount, each time a temporary
// file renamed over it, so a reader sees one whole snapshot or the previous.
//
// Format, "name value" lines: "pid N", "updated UNIX_SECONDS", "running 0|1",
// "writeback_oldest_ms N", "pending_metadata_oldest_ms N", then the metrics
// with their Prometheus names (base/metrics.h).
//
// MetricsSnapshotWriter owns one thread; thread-safe. The free functions are pure.
#ifndef PARTFS_FS_METRICS_SNAPSHOT_FILE_H_
#define PARTFS_FS_METRICS_SNAPSHOT_FILE_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "base/metrics.h"
#include "base/mutex.h"
#include "base/status.h"

namespace partfs {

struct MetricsFileContent {
  pid_t pid = 0;
  int64_t updated = 0;  // seconds since the epoch
  bool running = true;  // false in the snapshot written at unmount
  int64_t writeback_oldest_ms = 0;
  int64_t pending_metadata_oldest_ms = 0;
  MetricsSnapshot metrics;
};

std::string FormatMetricsFile(const MetricsFileContent& content);
MetricsFileContent ParseMetricsFile(std::string_view text);
// Reads `path`; NotFound when there is none.
Result<MetricsFileContent> ReadMetricsFile(const std::string& path);
// Writes `path` atomically (temporary file + rename).
Status WriteMetricsFile(const std::string& path, const MetricsFileContent& content);

class MetricsSnapshotWriter {
 public:
  // Refreshes the gauges of `metrics` and fills the oldest-entry ages before a
  // snapshot; called on the writer's thread.
  using Refresh = std::function<void(Metrics* metrics, MetricsFileContent* content)>;

  // Starts writing `path` every `interval`. `metrics` must outlive the writer.
  MetricsSnapshotWriter(std::string path, Metrics* metrics, Refresh refresh,
                        std::chrono::milliseconds interval = std::chrono::seconds(1));
  // Stops the thread and writes the last snapshot (running 0).
  ~MetricsSnapshotWriter();
  MetricsSnapshotWriter(const MetricsSnapshotWriter&) = delete;
  MetricsSnapshotWriter& operator=(const MetricsSnapshotWriter&) = delete;

 private:
  void WriteOnce(bool running);

  const std::string path_;
  Metrics* const metrics_;
  const Refresh refresh_;
  Mutex mu_;
  CondVar cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace partfs

#endif  // PARTFS_FS_METRICS_SNAPSHOT_FILE_H_
