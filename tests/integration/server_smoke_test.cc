// The test server support itself (tests/support/s3_test_server.h): the shared
// server answers, a private server survives an outage with its data, and the
// UploadPart count read from the server log is exact.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "transfer/object_store.h"
#include "transfer/s3_bucket_admin.h"
#include "transfer/s3_client.h"

namespace partfs::testing {
namespace {

// Deletes the bucket's objects, unfinished uploads and the bucket at scope exit.
class BucketCleanup {
 public:
  explicit BucketCleanup(S3ClientOptions options) : options_(std::move(options)) {}
  ~BucketCleanup() {
    auto client = CreateS3Client(options_);
    if (!client.ok()) return;
    ObjectStore& store = **client;
    auto page = store.ListObjects("", "", "", 1000);
    if (page.ok()) {
      for (const auto& o : page->objects) (void)store.DeleteObject(o.key);
    }
    auto uploads = ListAllUploads(store, "");
    if (uploads.ok()) {
      for (const auto& u : *uploads) (void)store.AbortMultipartUpload(u.key, u.upload_id);
    }
    (void)DeleteBucket(options_);
  }
  BucketCleanup(const BucketCleanup&) = delete;
  BucketCleanup& operator=(const BucketCleanup&) = delete;

 private:
  S3ClientOptions options_;
};

TEST(ServerSmokeTest, SharedServerAnswers) {
  S3Endpoint endpoint = SharedS3Server();
  ASSERT_GT(endpoint.port, 0);
  std::string bucket = UniqueBucketName("smoke-shared");
  BucketCleanup cleanup(ClientOptions(endpoint, bucket));
  auto store = MakeBucketAndClient(endpoint, bucket);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->HeadBucket().ok());
  auto etag = store->PutObjectFromString("hello.txt", "hello", {});
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  char buf[16] = {};
  auto n = store->GetObject("hello.txt", 0, sizeof(buf), buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(std::string(buf, *n), "hello");
}

TEST(ServerSmokeTest, UniqueBucketNamesAreValidAndDistinct) {
  std::string a = UniqueBucketName("Some_Prefix.With Stuff");
  std::string b = UniqueBucketName("Some_Prefix.With Stuff");
  EXPECT_NE(a, b);
  std::string long_name = UniqueBucketName(std::string(100, 'x'));
  EXPECT_LE(long_name.size(), 63u);
  for (const std::string& name : {a, b, long_name}) {
    EXPECT_GE(name.size(), 3u);
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << name;
    }
    EXPECT_NE(name.front(), '-');
    EXPECT_NE(name.back(), '-');
  }
}

TEST(ServerSmokeTest, PrivateServerSurvivesAnOutage) {
  PrivateS3Server server;
  std::string bucket = UniqueBucketName("smoke-private");
  Status started = server.Start(bucket);
  ASSERT_TRUE(started.ok()) << started.ToString();
  const std::string url = server.endpoint().url;
  S3ClientOptions options = ClientOptions(server.endpoint(), bucket);
  options.retry.max_attempts = 2;
  options.retry.max_total = std::chrono::milliseconds(2000);
  auto client = CreateS3Client(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ObjectStore& store = **client;
  ASSERT_TRUE(store.PutObjectFromString("kept.txt", "survives restarts", {}).ok());

  Status stopped = server.Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.ToString();
  EXPECT_FALSE(server.running());
  auto during = store.HeadObject("kept.txt");
  ASSERT_FALSE(during.ok());
  EXPECT_TRUE(during.status().IsUnavailable()) << during.status().ToString();

  started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(server.endpoint().url, url);
  char buf[64] = {};
  auto n = store.GetObject("kept.txt", 0, sizeof(buf), buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(std::string(buf, *n), "survives restarts");
}

TEST(ServerSmokeTest, PrivateServerDataDirIsRemoved) {
  std::string dir;
  {
    PrivateS3Server server;
    dir = server.data_dir();
    ASSERT_TRUE(server.Start().ok());
    EXPECT_EQ(access((dir + "/log/swift.log").c_str(), F_OK), 0);
  }
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}

TEST(ServerSmokeTest, CountsUploadPartRequestsExactly) {
  S3Endpoint endpoint = SharedS3Server();
  if (endpoint.log_file.empty()) GTEST_SKIP() << "PARTFS_TEST_S3_LOG not set";
  std::string bucket = UniqueBucketName("smoke-count");
  BucketCleanup cleanup(ClientOptions(endpoint, bucket));
  auto store = MakeBucketAndClient(endpoint, bucket);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CountUploadPartRequests(endpoint, bucket), 0);

  // A 5 MiB part and a 100-byte last part, from a file.
  TempDir tmp("smoke-count");
  const uint64_t kPart1 = 5u << 20, kPart2 = 100;
  std::string data(kPart1 + kPart2, 'p');
  std::string path = tmp.Sub("body");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));

  auto upload_id = store->CreateMultipartUpload("dir/two parts", {});
  ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();
  auto e1 = store->UploadPart("dir/two parts", *upload_id, 1, FileRange{fd, 0, kPart1}, "");
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  auto e2 = store->UploadPart("dir/two parts", *upload_id, 2, FileRange{fd, kPart1, kPart2}, "");
  ASSERT_TRUE(e2.ok()) << e2.status().ToString();
  EXPECT_EQ(CountUploadPartRequests(endpoint, bucket), 2);

  // A rejected part is an attempt, not a successful request.
  auto bad = store->UploadPart("dir/two parts", "no-such-upload", 3, FileRange{fd, 0, kPart2}, "");
  EXPECT_FALSE(bad.ok());
  close(fd);
  auto done = store->CompleteMultipartUpload("dir/two parts", *upload_id, {{1, *e1}, {2, *e2}}, "");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(CountUploadPartRequests(endpoint, bucket), 2);
  EXPECT_GE(CountUploadPartAttempts(endpoint, bucket), 3);
  EXPECT_EQ(CountUploadPartRequests(endpoint, bucket + "x"), 0);
}

TEST(ServerSmokeTest, RunCommandCapturesOutputAndTimesOut) {
  CommandResult ok = RunCommand("echo out; echo err >&2; exit 3", std::chrono::seconds(10));
  EXPECT_FALSE(ok.timed_out);
  EXPECT_EQ(ok.exit_code, 3);
  EXPECT_NE(ok.output.find("out"), std::string::npos);
  EXPECT_NE(ok.output.find("err"), std::string::npos);
  auto start = std::chrono::steady_clock::now();
  CommandResult slow = RunCommand("sleep 30", std::chrono::milliseconds(300));
  EXPECT_TRUE(slow.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(RunCommand("printf %s " + ShellQuote("it's"), std::chrono::seconds(5)).output, "it's");
}

}  // namespace
}  // namespace partfs::testing
