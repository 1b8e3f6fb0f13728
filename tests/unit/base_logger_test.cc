// Logger level filtering, the fd line format and the syslog sink's records.
#include <syslog.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/logger.h"

namespace partfs::testing {
namespace {

// Records what reaches it.
class RecordingSink : public LogSink {
 public:
  explicit RecordingSink(std::vector<std::pair<LogLevel, std::string>>* out) : out_(out) {}
  void Write(LogLevel level, std::string_view msg) override { out_->emplace_back(level, msg); }

 private:
  std::vector<std::pair<LogLevel, std::string>>* out_;
};

TEST(BaseLoggerTest, FiltersBelowTheLevel) {
  std::vector<std::pair<LogLevel, std::string>> got;
  Logger logger(std::make_unique<RecordingSink>(&got), LogLevel::kWarn);
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w");
  logger.Error("e");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(LogLevel::kWarn, std::string("w")));
  EXPECT_EQ(got[1], std::make_pair(LogLevel::kError, std::string("e")));
  logger.SetLevel(LogLevel::kDebug);
  logger.Debug("d2");
  EXPECT_EQ(got.size(), 3u);
  EXPECT_FALSE(Logger(2, LogLevel::kError).Enabled(LogLevel::kWarn));
}

TEST(BaseLoggerTest, ParsesLevelNames) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("error", &level));
  EXPECT_EQ(level, LogLevel::kError);
  EXPECT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("info", &level));
  EXPECT_EQ(level, LogLevel::kInfo);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_FALSE(ParseLogLevel("", &level));
}

TEST(BaseLoggerTest, FdLineFormat) {
  EXPECT_EQ(FdSink::FormatLine(LogLevel::kWarn, "upload of a/b failed", 1795572021042),
            "2026-11-25T02:00:21.042Z WARN partfs: upload of a/b failed\n");
}

// One record is one write: read back through a pipe.
TEST(BaseLoggerTest, FdSinkWritesOneLinePerRecord) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    Logger logger(fds[1], LogLevel::kInfo);
    logger.Info("hello");
    logger.Debug("dropped");
  }
  close(fds[1]);
  char buf[256];
  ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  ASSERT_GT(n, 0);
  std::string line(buf, static_cast<size_t>(n));
  EXPECT_NE(line.find(" INFO partfs: hello\n"), std::string::npos) << line;
  EXPECT_EQ(line.find("dropped"), std::string::npos);
}

TEST(BaseLoggerTest, SyslogSinkMapsLevelsAndKeepsOneMessagePerRecord) {
  std::vector<std::pair<int, std::string>> calls;
  auto sink = std::make_unique<SyslogSink>(
      [&calls](int priority, const std::string& msg) { calls.emplace_back(priority, msg); });
  Logger logger(std::move(sink), LogLevel::kDebug);
  logger.Error("upload of 'k' failed [request id R1]");
  logger.Warn("w");
  logger.Info("i");
  logger.Debug("d");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], std::make_pair(LOG_DAEMON | LOG_ERR,
                                     std::string("ERROR upload of 'k' failed [request id R1]")));
  EXPECT_EQ(calls[1], std::make_pair(LOG_DAEMON | LOG_WARNING, std::string("WARN w")));
  EXPECT_EQ(calls[2], std::make_pair(LOG_DAEMON | LOG_INFO, std::string("INFO i")));
  EXPECT_EQ(calls[3], std::make_pair(LOG_DAEMON | LOG_DEBUG, std::string("DEBUG d")));
}

// A daemon switches to syslog after mounting while other threads log.
TEST(BaseLoggerTest, SwitchesSinks) {
  std::vector<std::pair<LogLevel, std::string>> first, second;
  Logger logger(std::make_unique<RecordingSink>(&first), LogLevel::kInfo);
  logger.Info("a");
  logger.SwitchTo(std::make_unique<RecordingSink>(&second));
  logger.Info("b");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].second, "b");
}

}  // namespace
}  // namespace partfs::testing
