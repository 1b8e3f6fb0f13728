#include "fs/metrics_snapshot_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"

namespace partfs {

std::string FormatMetricsFile(const MetricsFileContent& c) {
  std::string out = "pid " + std::to_string(c.pid) + "\nupdated " + std::to_string(c.updated) +
                    "\nrunning " + (c.running ? "1" : "0") + "\nwriteback_oldest_ms " +
                    std::to_string(c.writeback_oldest_ms) + "\npending_metadata_oldest_ms " +
                    std::to_string(c.pending_metadata_oldest_ms) + "\n";
  return out + c.metrics.ToSnapshotLines();
}

MetricsFileContent ParseMetricsFile(std::string_view text) {
  MetricsFileContent c;
  c.metrics = ParseSnapshotLines(text);
  std::istringstream in{std::string(text)};
  std::string name, value;
  while (in >> name >> value) {
    const int64_t n = std::strtoll(value.c_str(), nullptr, 10);
    if (name == "pid") {
      c.pid = static_cast<pid_t>(n);
    } else if (name == "updated") {
      c.updated = n;
    } else if (name == "running") {
      c.running = n != 0;
    } else if (name == "writeback_oldest_ms") {
      c.writeback_oldest_ms = n;
    } else if (name == "pending_metadata_oldest_ms") {
      c.pending_metadata_oldest_ms = n;
    }
  }
  return c;
}

Result<MetricsFileContent> ReadMetricsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound("no metrics snapshot " + path);
    return Status::FromErrno(errno, "reading " + path);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseMetricsFile(buffer.str());
}

Status WriteMetricsFile(const std::string& path, const MetricsFileContent& content) {
  const std::string tmp = path + ".tmp";
  const std::string text = FormatMetricsFile(content);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::FromErrno(errno, "creating " + tmp);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return Status::FromErrno(errno, "writing " + tmp);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::FromErrno(errno, "renaming " + tmp);
  return Status::OK();
}

MetricsSnapshotWriter::MetricsSnapshotWriter(std::string path, Metrics* metrics, Refresh refresh,
                                             std::chrono::milliseconds interval)
    : path_(std::move(path)),
      metrics_(metrics),
      refresh_(std::move(refresh)),
      thread_([this, interval] {
        MutexLock lock(&mu_);
        while (!stop_) {
          WriteOnce(true);
          cv_.WaitFor(interval);
        }
      }) {}

MetricsSnapshotWriter::~MetricsSnapshotWriter() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  thread_.join();
  WriteOnce(false);
}

void MetricsSnapshotWriter::WriteOnce(bool running) {
  MetricsFileContent content;
  content.pid = ::getpid();
  content.updated = static_cast<int64_t>(std::time(nullptr));
  content.running = running;
  if (refresh_) refresh_(metrics_, &content);
  content.metrics = metrics_->Snapshot();
  // Best effort: a full cache disk must not stop the mount; status then shows an old snapshot.
  (void)WriteMetricsFile(path_, content);
}

}  // namespace partfs
