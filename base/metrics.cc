#include "base/metrics.h"

#include <cstdlib>

namespace partfs {

const std::vector<MetricDescription>& AllMetrics() {
  using S = MetricsSnapshot;
  static const std::vector<MetricDescription> kAll = {
      {"bytes_uploaded", "Bytes of successful UploadPart and PutObject bodies.", true,
       &S::bytes_uploaded},
      {"parts_uploaded", "Successful UploadPart requests.", true, &S::parts_uploaded},
      {"put_objects", "Successful PutObject requests.", true, &S::put_objects},
      {"bytes_downloaded", "Bytes GetObject returned.", true, &S::bytes_downloaded},
      {"requests", "HTTP requests sent to S3, retries included.", true, &S::requests},
      {"retries", "Requests sent again after a retryable failure.", true, &S::retries},
      {"failed_requests", "S3 operations that failed after retries (404 not counted).", true,
       &S::failed_requests},
      {"uploads_completed", "Successful CompleteMultipartUpload requests.", true,
       &S::uploads_completed},
      {"recoveries_run", "Uploads a recovery took up from the journal.", true, &S::recoveries_run},
      {"recoveries_completed", "Recovered uploads that reached the bucket.", true,
       &S::recoveries_completed},
      {"writeback_queue", "Write-back uploads queued or running.", false, &S::writeback_queue},
      {"pending_metadata", "Deferred metadata changes not yet copied onto their objects.", false,
       &S::pending_metadata},
  };
  return kAll;
}

std::string PrometheusName(const MetricDescription& metric) {
  return "partfs_" + std::string(metric.name) + (metric.counter ? "_total" : "");
}

std::string MetricsSnapshot::ToPrometheusText() const {
  std::string out;
  for (const MetricDescription& m : AllMetrics()) {
    const std::string name = PrometheusName(m);
    out += "# HELP " + name + " " + std::string(m.help) + "\n";
    out += "# TYPE " + name + (m.counter ? " counter\n" : " gauge\n");
    out += name + " " + std::to_string(this->*m.field) + "\n";
  }
  return out;
}

std::string MetricsSnapshot::ToSnapshotLines() const {
  std::string out;
  for (const MetricDescription& m : AllMetrics()) {
    out += PrometheusName(m) + " " + std::to_string(this->*m.field) + "\n";
  }
  return out;
}

MetricsSnapshot ParseSnapshotLines(std::string_view text) {
  MetricsSnapshot snapshot;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::string_view name = line.substr(0, space);
    for (const MetricDescription& m : AllMetrics()) {
      if (PrometheusName(m) == name) {
        snapshot.*m.field = std::strtoull(std::string(line.substr(space + 1)).c_str(), nullptr, 10);
      }
    }
  }
  return snapshot;
}

MetricsSnapshot Metrics::Snapshot() const {
  constexpr auto r = std::memory_order_relaxed;
  MetricsSnapshot s;
  s.bytes_uploaded = bytes_uploaded.load(r);
  s.parts_uploaded = parts_uploaded.load(r);
  s.put_objects = put_objects.load(r);
  s.bytes_downloaded = bytes_downloaded.load(r);
  s.requests = requests.load(r);
  s.retries = retries.load(r);
  s.failed_requests = failed_requests.load(r);
  s.uploads_completed = uploads_completed.load(r);
  s.recoveries_run = recoveries_run.load(r);
  s.recoveries_completed = recoveries_completed.load(r);
  s.writeback_queue = writeback_queue.load(r);
  s.pending_metadata = pending_metadata.load(r);
  return s;
}

}  // namespace partfs
