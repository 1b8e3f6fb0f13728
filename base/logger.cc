#include "base/logger.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace partfs {

namespace {
const char* LevelName(LogLevel level) {
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
}  // namespace

void Logger::Log(LogLevel level, std::string_view msg) {
  if (!Enabled(level)) return;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char prefix[128];
  std::snprintf(prefix, sizeof(prefix),
                "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s partfs: ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(tv.tv_usec / 1000), LevelName(level));
  std::string line(prefix);
  line.append(msg);
  line.push_back('\n');
  // One write per record keeps lines from different threads whole.
  ssize_t ignored = ::write(fd_, line.data(), line.size());
  (void)ignored;
}

Logger* Logger::Quiet() {
  // Stateless apart from its level, which never changes: safe to share.
  static Logger quiet(2, LogLevel::kError);
  return &quiet;
}

}  // namespace partfs
