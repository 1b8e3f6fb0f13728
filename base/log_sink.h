// LogSink: where a Logger's records go. FdSink writes one timestamped line per
// record with a single write(2) (stderr, a log_file); SyslogSink hands one
// message per record to syslog(3) (ident "partfs", facility LOG_DAEMON) with
// the level mapped to a syslog priority.
//
// Thread-safe: Write may be called from many threads at once. Sinks own no
// global state except what openlog(3) keeps inside libc for SyslogSink.
#ifndef PARTFS_BASE_LOG_SINK_H_
#define PARTFS_BASE_LOG_SINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace partfs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "DEBUG", "INFO", "WARN", "ERROR".
const char* LogLevelName(LogLevel level);
// "error", "warn", "info", "debug" (case-sensitive) -> the level; false otherwise.
bool ParseLogLevel(std::string_view text, LogLevel* level);

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One record; `msg` has no trailing newline.
  virtual void Write(LogLevel level, std::string_view msg) = 0;
};

// "2026-11-30T07:00:00.123Z INFO partfs: msg\n" to `fd` (not owned; must stay open).
class FdSink : public LogSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  void Write(LogLevel level, std::string_view msg) override;

  // The line Write sends for a record at `unix_ms` (exposed for tests).
  static std::string FormatLine(LogLevel level, std::string_view msg, int64_t unix_ms);

 private:
  const int fd_;
};

class SyslogSink : public LogSink {
 public:
  // Receives the priority (LOG_DAEMON | LOG_ERR, ...) and the message.
  using SyslogFn = std::function<void(int priority, const std::string& msg)>;

  // Logs through syslog(3) after openlog("partfs", LOG_PID, LOG_DAEMON).
  SyslogSink();
  // Logs through `fn` only (tests); no openlog.
  explicit SyslogSink(SyslogFn fn);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  void Write(LogLevel level, std::string_view msg) override;

  // LOG_DAEMON | LOG_DEBUG/LOG_INFO/LOG_WARNING/LOG_ERR.
  static int Priority(LogLevel level);

 private:
  SyslogFn fn_;
  bool opened_ = false;  // openlog was called: closelog in the destructor
};

}  // namespace partfs

#endif  // PARTFS_BASE_LOG_SINK_H_
