// Create-only-if-absent against the real server: two clients (two hosts)
// race for one key. RGW honours If-None-Match on PutObject (one wins, the
// other hears AlreadyExists); Swift answers 501 and the client falls back to
// the plain write, logging that once. Complete: Swift honours the condition,
// RGW ignores it (the client's HEAD before Complete refuses instead).
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/logger.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

class TransferConditionalCreateTest : public TransferBucketTest {
 protected:
  // A second client (another host) on the same bucket, logging to a file.
  std::unique_ptr<ObjectStore> LoggingClient(Logger* logger) {
    S3ClientOptions options = options_;
    options.logger = logger;
    return ClientWith(options);
  }

  static int CountLines(const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
    return n;
  }

  Result<std::string> CompleteOnePart(ObjectStore& store, const std::string& key,
                                      const std::string& data) {
    auto id = store.CreateMultipartUpload(key, {});
    if (!id.ok()) return id.status();
    TempDir tmp("cond-part");
    const std::string path = tmp.Sub("p");
    std::ofstream(path) << data;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    auto etag = store.UploadPart(key, *id, 1, FileRange{fd, 0, data.size()}, ContentMd5(data));
    ::close(fd);
    if (!etag.ok()) return etag.status();
    const std::string expected = HexEncode(Md5(Md5(data))) + "-1";
    auto done = store.CompleteMultipartUploadIfAbsent(key, *id, {{1, *etag}}, expected);
    if (!done.ok()) (void)store.AbortMultipartUpload(key, *id);
    return done;
  }
};

TEST_F(TransferConditionalCreateTest, SecondPutOfTheSameNameLosesOrFallsBack) {
  TempDir tmp("cond-log");
  const std::string log_path = tmp.Sub("log");
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(log_fd, 0);
  Logger logger(log_fd, LogLevel::kWarn);
  auto host_b = LoggingClient(&logger);
  ASSERT_NE(host_b, nullptr);

  auto first = store_->PutObjectFromStringIfAbsent("lock", "host a", {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = host_b->PutObjectFromStringIfAbsent("lock", "host b", {});
  auto third = host_b->PutObjectFromStringIfAbsent("lock", "host b again", {});
  ::close(log_fd);
  const int fallback_lines = CountLines(log_path, "does not support conditional PutObject");
  if (TestServerIs(ServerKind::kRgw)) {
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), Status::Code::kAlreadyExists) << second.status().ToString();
    EXPECT_EQ(third.status().code(), Status::Code::kAlreadyExists);
    EXPECT_EQ(ReadObjectOrError(*store_, "lock"), "host a");
    EXPECT_EQ(fallback_lines, 0);
  } else {
    // Swift: 501 to the condition; the plain write goes through (the
    // filesystem's check at create is all there is), logged once per client.
    EXPECT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_TRUE(third.ok()) << third.status().ToString();
    EXPECT_EQ(ReadObjectOrError(*store_, "lock"), "host b again");
    EXPECT_EQ(fallback_lines, 1);
  }
}

TEST_F(TransferConditionalCreateTest, RetryOfOwnPutIsNotRefused) {
  // Our own object (a retry whose first answer was lost) is success.
  auto first = store_->PutObjectFromStringIfAbsent("mine", "same bytes", {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = store_->PutObjectFromStringIfAbsent("mine", "same bytes", {});
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(TransferConditionalCreateTest, CompleteOverAnExistingObjectIsRefused) {
  ASSERT_TRUE(store_->PutObjectFromString("big", "someone else", {}).ok());
  auto done = CompleteOnePart(*store_, "big", "ours");
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().code(), Status::Code::kAlreadyExists) << done.status().ToString();
  EXPECT_EQ(ReadObjectOrError(*store_, "big"), "someone else");
  // A free name completes (RGW: with its empty ETag answered by the expected one).
  auto fresh = CompleteOnePart(*store_, "fresh", "ours");
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, HexEncode(Md5(Md5("ours"))) + "-1");
  EXPECT_EQ(ReadObjectOrError(*store_, "fresh"), "ours");
}

}  // namespace
}  // namespace partfs::testing
