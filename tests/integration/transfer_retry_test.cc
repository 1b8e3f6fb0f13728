// Retries of S3Client through the FaultProxy (tests/support/fault_proxy.h):
// injected 503 SlowDown answers, cut connections, lost responses.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

using std::chrono::milliseconds;

class TransferRetryTest : public TransferBucketTest {
 protected:
  void SetUp() override {
    TransferBucketTest::SetUp();
    if (HasFatalFailure()) return;
    proxy_ = std::make_unique<FaultProxy>(endpoint_.port);
    S3ClientOptions o = options_;
    o.endpoint = proxy_->url();
    o.retry.max_attempts = 4;
    o.retry.base_delay = milliseconds(10);
    o.retry.max_delay = milliseconds(50);
    o.retry.max_total = milliseconds(10000);
    o.logger = &logger_;
    proxied_ = ClientWith(o);
  }
  void TearDown() override {
    proxied_.reset();
    proxy_.reset();
    TransferBucketTest::TearDown();
  }

  Logger logger_{2, LogLevel::kInfo};  // retries are logged to stderr
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<ObjectStore> proxied_;
};

TEST_F(TransferRetryTest, PassThroughWorks) {
  ASSERT_TRUE(proxied_->PutObjectFromString("k", "value", {{"m", "1"}}).ok());
  auto info = proxied_->HeadObject("k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(proxy_->faults_injected(), 0);
}

// Records every log line.
class LinesSink : public LogSink {
 public:
  explicit LinesSink(std::vector<std::string>* lines) : lines_(lines) {}
  void Write(LogLevel, std::string_view msg) override { lines_->emplace_back(msg); }

 private:
  std::vector<std::string>* lines_;
};

// A failed request's log line names the key and the request id (the proxy's
// injected <Error> says "faultproxy"); the metrics count the retry.
TEST_F(TransferRetryTest, RetryLogLineCarriesKeyAndRequestIdAndMetricsCount) {
  std::vector<std::string> lines;
  Logger logger(std::make_unique<LinesSink>(&lines), LogLevel::kInfo);
  Metrics metrics;
  S3ClientOptions o = options_;
  o.endpoint = proxy_->url();
  o.retry.base_delay = milliseconds(10);
  o.retry.max_delay = milliseconds(50);
  o.logger = &logger;
  o.metrics = &metrics;
  auto client = ClientWith(o);
  ASSERT_TRUE(client);
  proxy_->FailNextRequests(1);
  ASSERT_TRUE(client->PutObjectFromString("dir/k", "value", {}).ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("s3://" + options_.bucket + "/dir/k"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("[request id faultproxy]"), std::string::npos) << lines[0];
  EXPECT_EQ(metrics.requests.load(), 2u);
  EXPECT_EQ(metrics.retries.load(), 1u);
  EXPECT_EQ(metrics.put_objects.load(), 1u);
  EXPECT_EQ(metrics.bytes_uploaded.load(), 5u);
  EXPECT_EQ(metrics.failed_requests.load(), 0u);

  proxy_->FailAllRequests(403, "AccessDenied");
  auto denied = client->PutObjectFromString("dir/k2", "value", {});
  proxy_->PassThrough();
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("[request id faultproxy]"), std::string::npos)
      << denied.status().ToString();
  EXPECT_EQ(metrics.failed_requests.load(), 1u);
}

TEST_F(TransferRetryTest, SlowDownThenSuccess) {
  proxy_->FailNextRequests(2);
  auto etag = proxied_->PutObjectFromString("k", "value", {});
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(proxy_->faults_injected(), 2);
  EXPECT_EQ(proxy_->requests_seen(), 3);
  proxy_->FailNextRequests(3);
  auto info = proxied_->HeadObject("k");  // HEAD: the error has no body
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(proxy_->faults_injected(), 5);
}

// Transient faults the proxy injects, and a request that gets through them by retrying.
struct TransientFaultCase {
  const char* name;
  std::function<void(FaultProxy&)> arm;
  std::function<Status(ObjectStore&)> request;
  int faults;
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
void PrintTo(const TransientFaultCase& c, std::ostream* os) { *os << c.name; }

class TransferRetryTransientTest : public TransferRetryTest,
                                   public ::testing::WithParamInterface<TransientFaultCase> {};

TEST_P(TransferRetryTransientTest, SucceedsAfterTheFaults) {
  GetParam().arm(*proxy_);
  Status st = GetParam().request(*proxied_);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(proxy_->faults_injected(), GetParam().faults);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, TransferRetryTransientTest,
    ::testing::Values(TransientFaultCase{"InternalErrorThenSuccess",
                                         [](FaultProxy& proxy) {
                                           proxy.FailNextRequests(1, 500, "InternalError");
                                         },
                                         [](ObjectStore& store) { return store.HeadBucket(); }, 1},
                      TransientFaultCase{
                          "CutConnectionsThenSuccess",
                          [](FaultProxy& proxy) { proxy.CutNextConnections(2); },
                          [](ObjectStore& store) {
                            return store.PutObjectFromString("cut", "payload", {}).status();
                          },
                          2}),
    [](const ::testing::TestParamInfo<TransientFaultCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(TransferRetryTest, PermanentSlowDownGivesUpBounded) {
  proxy_->FailAllRequests();
  const auto start = std::chrono::steady_clock::now();
  auto r = proxied_->PutObjectFromString("k", "v", {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().remote_code(), "SlowDown");
  EXPECT_EQ(r.status().http_status(), 503);
  EXPECT_NE(r.status().message().find("after 4 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(proxy_->requests_seen(), 4);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(TransferRetryTest, TotalTimeBoundsRetries) {
  S3ClientOptions o = options_;
  o.endpoint = proxy_->url();
  o.retry.max_attempts = 1000;
  o.retry.base_delay = milliseconds(50);
  o.retry.max_delay = milliseconds(100);
  o.retry.max_total = milliseconds(600);
  auto client = ClientWith(o);
  proxy_->FailAllRequests();
  const auto start = std::chrono::steady_clock::now();
  Status s = client->HeadBucket();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  EXPECT_LT(proxy_->requests_seen(), 1000);
}

TEST_F(TransferRetryTest, CutMidUploadResendsTheWholeBody) {
  TempDir dir;
  const std::string path = dir.Sub("part");
  std::string content(6 * 1024 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 31) >> 3);
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));

  auto id = proxied_->CreateMultipartUpload("cutpart", {});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  // 1 MiB into the part the connection dies, twice (curl itself retries a
  // reused connection once; the second cut goes to our retry loop).
  proxy_->CutNextRequests(2, 1024 * 1024);
  auto etag = proxied_->UploadPart("cutpart", *id, 1, FileRange{fd, 0, content.size()},
                                   ContentMd5(content));
  close(fd);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, HexEncode(Md5(content)));
  EXPECT_EQ(proxy_->faults_injected(), 2);
  auto done = proxied_->CompleteMultipartUpload("cutpart", *id, {{1, *etag}}, "");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto info = store_->HeadObject("cutpart");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, content.size());
}

TEST_F(TransferRetryTest, NonRetryableErrorIsNotRetried) {
  proxy_->FailNextRequests(1, 403, "AccessDenied");
  Status s = proxied_->HeadBucket();
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(proxy_->requests_seen(), 1);
}

TEST_F(TransferRetryTest, CompleteWithLostResponseIsRetriedSafely) {
  const std::string data(1000, 'z');
  auto id = proxied_->CreateMultipartUpload("lost", {});
  ASSERT_TRUE(id.ok());
  TempDir dir;
  const std::string path = dir.Sub("p");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_EQ(write(fd, data.data(), data.size()), 1000);
  auto etag = proxied_->UploadPart("lost", *id, 1, FileRange{fd, 0, 1000}, ContentMd5(data));
  close(fd);
  ASSERT_TRUE(etag.ok());
  const std::string expected = MultipartEtag({Md5(data)});
  // The server completes the upload but the client never sees the answer;
  // the retry finds the upload gone (or completes again) and checks the ETag.
  proxy_->DropNextResponses(1);
  auto done = proxied_->CompleteMultipartUpload("lost", *id, {{1, *etag}}, expected);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*done, expected);
  EXPECT_EQ(proxy_->faults_injected(), 1);
  auto info = store_->HeadObject("lost");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->etag, expected);
}

// The server answers a Complete with NoSuchUpload (the upload was completed
// by an earlier attempt): success iff HEAD shows the expected ETag.
TEST_F(TransferRetryTest, CompleteAnsweredNoSuchUploadChecksTheEtag) {
  const std::string data(2000, 'q');
  auto id = store_->CreateMultipartUpload("done", {});
  ASSERT_TRUE(id.ok());
  TempDir dir;
  int fd = open(dir.Sub("p").c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_EQ(write(fd, data.data(), data.size()), 2000);
  auto etag = store_->UploadPart("done", *id, 1, FileRange{fd, 0, 2000}, ContentMd5(data));
  close(fd);
  ASSERT_TRUE(etag.ok());
  const std::string expected = MultipartEtag({Md5(data)});
  ASSERT_TRUE(store_->CompleteMultipartUpload("done", *id, {{1, *etag}}, expected).ok());

  proxy_->FailNextRequests(1, 404, "NoSuchUpload");
  auto again = proxied_->CompleteMultipartUpload("done", *id, {{1, *etag}}, expected);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, expected);
  EXPECT_EQ(proxy_->requests_seen(), 2);  // the Complete and one HEAD

  proxy_->FailNextRequests(1, 404, "NoSuchUpload");
  auto other = proxied_->CompleteMultipartUpload("done", *id, {{1, *etag}}, "0123-1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().remote_code(), "NoSuchUpload");

  proxy_->FailNextRequests(1, 404, "NoSuchUpload");
  auto unknown = proxied_->CompleteMultipartUpload("done", *id, {{1, *etag}}, "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsNotFound());
}

// Virtual-hosted addressing puts the bucket in the Host header and leaves it
// out of the path; the proxy shows what was sent. (The local server is not
// configured for virtual hosts, so only the request form is checked.)
TEST_F(TransferRetryTest, VirtualHostedRequestForm) {
  S3ClientOptions o = options_;
  o.endpoint = "http://localhost:" + std::to_string(proxy_->port());  // *.localhost is loopback
  o.path_style = false;
  o.retry.max_attempts = 1;
  auto client = ClientWith(o);
  ASSERT_NE(client, nullptr);
  proxy_->FailAllRequests(404, "NoSuchKey");
  auto r = client->HeadObject("dir/a b");
  ASSERT_FALSE(r.ok());
  const std::string head = proxy_->last_request_head();
  EXPECT_EQ(head.rfind("HEAD /dir/a%20b HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: " + options_.bucket + ".localhost:" + std::to_string(proxy_->port())),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("x-amz-content-sha256: "), std::string::npos);
  EXPECT_EQ(head.find("Expect:"), std::string::npos);
}

TEST_F(TransferRetryTest, PathStyleRequestForm) {
  proxy_->FailAllRequests(404, "NoSuchKey");
  S3ClientOptions o = options_;
  o.endpoint = proxy_->url();
  o.retry.max_attempts = 1;
  auto client = ClientWith(o);
  ASSERT_NE(client, nullptr);
  auto r = client->HeadObject("x+y");
  ASSERT_FALSE(r.ok());
  const std::string head = proxy_->last_request_head();
  EXPECT_EQ(head.rfind("HEAD /" + options_.bucket + "/x%2By HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: 127.0.0.1:" + std::to_string(proxy_->port())), std::string::npos);
  EXPECT_NE(head.find("authorization: AWS4-HMAC-SHA256 Credential=test:tester/"), std::string::npos)
      << head;
}

TEST_F(TransferRetryTest, ProxyStopsWithOpenConnections) {
  ASSERT_TRUE(proxied_->HeadBucket().ok());  // leaves a kept-alive connection
  proxy_->Stop();
  Status s = proxied_->HeadBucket();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
}

}  // namespace
}  // namespace partfs::testing
