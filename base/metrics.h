// Metrics: the counters of one mount (bytes and parts uploaded, requests,
// retries, failures, recoveries, ...) and the two gauges `partfs status` and
// the Prometheus endpoint show.
//
// One Metrics object is owned by the mount (fs/mount_command.cc) and passed
// down by pointer (S3ClientOptions, CacheOptions); a null pointer means "not
// counted". No global state. Thread-safe: every field is an atomic, updated
// with relaxed ordering (totals, not synchronization).
//
// MetricsSnapshot is a plain copy; its text forms are the Prometheus text
// exposition format (ToPrometheusText) and the snapshot file the daemon
// writes into its cache dir for `partfs status` (ToSnapshotFile /
// ParseSnapshotFile: "name value" lines).
#ifndef PARTFS_BASE_METRICS_H_
#define PARTFS_BASE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace partfs {

struct MetricsSnapshot {
  uint64_t bytes_uploaded = 0;        // bodies of successful UploadPart and PutObject requests
  uint64_t parts_uploaded = 0;        // successful UploadPart (and UploadPartCopy) requests
  uint64_t put_objects = 0;           // successful PutObject requests
  uint64_t bytes_downloaded = 0;      // bytes GetObject returned
  uint64_t requests = 0;              // HTTP requests sent, retries included
  uint64_t retries = 0;               // requests sent again after a retryable failure
  uint64_t failed_requests = 0;       // operations that failed for good (404 not counted)
  uint64_t uploads_completed = 0;     // successful CompleteMultipartUpload requests
  uint64_t recoveries_run = 0;        // journal records a recovery took up
  uint64_t recoveries_completed = 0;  // of them, completed (the object is in the bucket)
  // Gauges, refreshed by the mount before each snapshot.
  uint64_t writeback_queue = 0;   // write-back uploads queued or running
  uint64_t pending_metadata = 0;  // deferred metadata changes not yet copied

  // One line per metric: "partfs_bytes_uploaded_total 123\n" etc., preceded
  // by "# HELP" and "# TYPE" lines (counters end in _total, gauges do not).
  std::string ToPrometheusText() const;
  // "name value" lines with the Prometheus names, for the snapshot file.
  std::string ToSnapshotLines() const;
};

// One metric as the text formats list it.
struct MetricDescription {
  std::string_view name;  // without the partfs_ prefix and _total suffix
  std::string_view help;
  bool counter;  // false: a gauge
  uint64_t MetricsSnapshot::*field;
};

// Every metric, in the order the text formats list them.
const std::vector<MetricDescription>& AllMetrics();

// "partfs_" + name (+ "_total" for a counter).
std::string PrometheusName(const MetricDescription& metric);

// Fills the fields of the "name value" lines it knows; ignores other lines.
MetricsSnapshot ParseSnapshotLines(std::string_view text);

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::atomic<uint64_t> bytes_uploaded{0};
  std::atomic<uint64_t> parts_uploaded{0};
  std::atomic<uint64_t> put_objects{0};
  std::atomic<uint64_t> bytes_downloaded{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> failed_requests{0};
  std::atomic<uint64_t> uploads_completed{0};
  std::atomic<uint64_t> recoveries_run{0};
  std::atomic<uint64_t> recoveries_completed{0};
  std::atomic<uint64_t> writeback_queue{0};
  std::atomic<uint64_t> pending_metadata{0};

  // Adds `n` to `counter` of `metrics` when `metrics` is not null.
  static void Add(Metrics* metrics, std::atomic<uint64_t> Metrics::*counter, uint64_t n = 1) {
    if (metrics != nullptr) (metrics->*counter).fetch_add(n, std::memory_order_relaxed);
  }

  MetricsSnapshot Snapshot() const;
};

}  // namespace partfs

#endif  // PARTFS_BASE_METRICS_H_
