// Logger: one record per event, filtered by level, written to a LogSink
// (stderr by default; a log_file or syslog for a daemonized mount).
//
// There is no global logger: main() creates one and passes a pointer down to
// the components that log. Thread-safe: the level and the sink may change
// while other threads log (a daemon switches to syslog once mounted); each
// record reaches the sink whole, in one write. Callers must never pass
// secrets (keys, signatures) in a message.
#ifndef PARTFS_BASE_LOGGER_H_
#define PARTFS_BASE_LOGGER_H_

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "base/log_sink.h"
#include "base/mutex.h"

namespace partfs {

class Logger {
 public:
  // Records at `min_level` and above go to `fd` (not owned) as FdSink lines.
  explicit Logger(int fd = 2, LogLevel min_level = LogLevel::kInfo);
  // Records go to `sink`.
  Logger(std::unique_ptr<LogSink> sink, LogLevel min_level);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level) { min_level_.store(level); }
  LogLevel level() const { return min_level_.load(); }
  bool Enabled(LogLevel level) const { return level >= min_level_.load(); }

  // Later records go to `sink`. The previous sink stays alive until the
  // Logger dies, so a record being written to it meanwhile completes.
  void SwitchTo(std::unique_ptr<LogSink> sink);

  void Log(LogLevel level, std::string_view msg);
  void Debug(std::string_view msg) { Log(LogLevel::kDebug, msg); }
  void Info(std::string_view msg) { Log(LogLevel::kInfo, msg); }
  void Warn(std::string_view msg) { Log(LogLevel::kWarn, msg); }
  void Error(std::string_view msg) { Log(LogLevel::kError, msg); }

  // A logger that discards everything below kError; for tests and tools.
  static Logger* Quiet();

 private:
  std::atomic<LogLevel> min_level_;
  std::atomic<LogSink*> sink_;
  Mutex mu_;
  std::vector<std::unique_ptr<LogSink>> sinks_ GUARDED_BY(mu_);  // every sink ever used
};

}  // namespace partfs

#endif  // PARTFS_BASE_LOGGER_H_
