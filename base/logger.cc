#include "base/logger.h"

#include <utility>

namespace partfs {

Logger::Logger(int fd, LogLevel min_level) : Logger(std::make_unique<FdSink>(fd), min_level) {}

Logger::Logger(std::unique_ptr<LogSink> sink, LogLevel min_level)
    : min_level_(min_level), sink_(sink.get()) {
  MutexLock lock(&mu_);
  sinks_.push_back(std::move(sink));
}

void Logger::SwitchTo(std::unique_ptr<LogSink> sink) {
  MutexLock lock(&mu_);
  sink_.store(sink.get());
  sinks_.push_back(std::move(sink));
}

void Logger::Log(LogLevel level, std::string_view msg) {
  if (!Enabled(level)) return;
  sink_.load()->Write(level, msg);
}

Logger* Logger::Quiet() {
  // Stateless apart from its level, which never changes: safe to share.
  static Logger quiet(2, LogLevel::kError);
  return &quiet;
}

}  // namespace partfs
