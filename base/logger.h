// Logger: one-line, timestamped log records to a file descriptor (stderr by default).
//
// There is no global logger: main() creates one and passes a pointer down to
// the components that log. Thread-safe: each record is written with a single
// write(2). Callers must never pass secrets (keys, signatures) in a message.
#ifndef PARTFS_BASE_LOGGER_H_
#define PARTFS_BASE_LOGGER_H_

#include <atomic>
#include <string_view>

namespace partfs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

class Logger {
 public:
  explicit Logger(int fd = 2, LogLevel min_level = LogLevel::kInfo)
      : fd_(fd), min_level_(min_level) {}
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level) { min_level_.store(level); }
  bool Enabled(LogLevel level) const { return level >= min_level_.load(); }

  void Log(LogLevel level, std::string_view msg);
  void Debug(std::string_view msg) { Log(LogLevel::kDebug, msg); }
  void Info(std::string_view msg) { Log(LogLevel::kInfo, msg); }
  void Warn(std::string_view msg) { Log(LogLevel::kWarn, msg); }
  void Error(std::string_view msg) { Log(LogLevel::kError, msg); }

  // A logger that discards everything below kError; for tests and tools.
  static Logger* Quiet();

 private:
  int fd_;
  std::atomic<LogLevel> min_level_;
};

}  // namespace partfs

#endif  // PARTFS_BASE_LOGGER_H_
