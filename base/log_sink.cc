#include "base/log_sink.h"

#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace partfs {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "debug") {
    *level = LogLevel::kDebug;
  } else if (text == "info") {
    *level = LogLevel::kInfo;
  } else if (text == "warn") {
    *level = LogLevel::kWarn;
  } else if (text == "error") {
    *level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

std::string FdSink::FormatLine(LogLevel level, std::string_view msg, int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char prefix[128];
  std::snprintf(prefix, sizeof(prefix),
                "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s partfs: ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000),
                LogLevelName(level));
  std::string line(prefix);
  line.append(msg);
  line.push_back('\n');
  return line;
}

void FdSink::Write(LogLevel level, std::string_view msg) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  const std::string line =
      FormatLine(level, msg, static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000);
  // One write per record keeps lines from different threads whole.
  ssize_t ignored = ::write(fd_, line.data(), line.size());
  (void)ignored;
}

SyslogSink::SyslogSink()
    : fn_([](int priority, const std::string& msg) { ::syslog(priority, "%s", msg.c_str()); }),
      opened_(true) {
  ::openlog("partfs", LOG_PID, LOG_DAEMON);
}

SyslogSink::SyslogSink(SyslogFn fn) : fn_(std::move(fn)) {}

SyslogSink::~SyslogSink() {
  if (opened_) ::closelog();
}

int SyslogSink::Priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return LOG_DAEMON | LOG_DEBUG;
    case LogLevel::kInfo:
      return LOG_DAEMON | LOG_INFO;
    case LogLevel::kWarn:
      return LOG_DAEMON | LOG_WARNING;
    case LogLevel::kError:
      return LOG_DAEMON | LOG_ERR;
  }
  return LOG_DAEMON | LOG_ERR;
}

void SyslogSink::Write(LogLevel level, std::string_view msg) {
  // syslog adds the time, host and ident; the level name keeps lines greppable.
  std::string record(LogLevelName(level));
  record.push_back(' ');
  record.append(msg);
  fn_(Priority(level), record);
}

}  // namespace partfs
