#include "fs/metrics_format.h"

#include "fs/status_format.h"

namespace partfs {

std::string FormatMountMetrics(const MetricsFileContent& c, int mount_pid, int64_t now) {
  const bool live = c.running && mount_pid != 0 && c.pid == mount_pid;
  const std::string age = HumanAge(now > c.updated ? now - c.updated : 0);
  std::string out;
  if (live) {
    out = "mount totals (pid " + std::to_string(c.pid) + ", updated " + age + " ago):\n";
  } else {
    out = "mount not running; totals of the last mount (pid " + std::to_string(c.pid) +
          ", written " + age + " ago):\n";
  }
  const MetricsSnapshot& m = c.metrics;
  out += "  uploaded " + HumanBytes(m.bytes_uploaded) + " (" + std::to_string(m.bytes_uploaded) +
         " bytes) in " + std::to_string(m.parts_uploaded) + " parts and " +
         std::to_string(m.put_objects) + " PutObjects; " + std::to_string(m.uploads_completed) +
         " multipart uploads completed\n";
  out += "  downloaded " + HumanBytes(m.bytes_downloaded) + " (" +
         std::to_string(m.bytes_downloaded) + " bytes)\n";
  out += "  requests " + std::to_string(m.requests) + ", retries " + std::to_string(m.retries) +
         ", failed " + std::to_string(m.failed_requests) + "\n";
  out += "  recoveries " + std::to_string(m.recoveries_run) + " run, " +
         std::to_string(m.recoveries_completed) + " completed\n";
  if (live) {
    out += "  write-back queue " + std::to_string(m.writeback_queue);
    if (m.writeback_queue > 0) out += " (oldest " + HumanAge(c.writeback_oldest_ms / 1000) + ")";
    out += ", pending metadata " + std::to_string(m.pending_metadata);
    if (m.pending_metadata > 0) {
      out += " (oldest " + HumanAge(c.pending_metadata_oldest_ms / 1000) + ")";
    }
    out += "\n";
  }
  return out;
}

}  // namespace partfs
