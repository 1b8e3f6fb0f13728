// Crash recovery and orphan GC against the real local S3 server (Swift s3api):
// journal + part-file states as a crashed writer leaves them, resumed with
// RecoveryRunner; checks what the server really holds afterwards. The resume
// cases are shared with the unit tier (tests/shared/recovery_resume_cases.cc).
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cache/orphan_gc.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/shared/recovery_resume_cases.h"
#include "tests/support/recovery_fixture.h"
#include "tests/support/s3_test_server.h"
#include "transfer/s3_bucket_admin.h"

namespace partfs::testing {
namespace {

// A fresh bucket on the shared local server, removed with everything in it at
// the end; UploadPart requests are counted in the server's log.
class S3RecoveryBackend : public RecoveryBackend {
 public:
  S3RecoveryBackend()
      : endpoint_(SharedS3Server()), options_(ClientOptions(endpoint_, UniqueBucketName("rec"))) {
    options_.retry.base_delay = std::chrono::milliseconds(20);
    auto client = CreateS3Client(options_);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (client.ok()) client_ = std::move(client).value();
  }
  ~S3RecoveryBackend() override {
    client_.reset();
    if (bucket_created_) EmptyAndDeleteBucket(options_);
  }

  Status Prepare() override {
    if (!client_) return Status::InvalidArgument("no S3 client");
    PARTFS_RETURN_IF_ERROR(CreateBucket(options_));
    bucket_created_ = true;
    return Status::OK();
  }
  ObjectStore& Store() override { return *client_; }
  std::string Endpoint() const override { return endpoint_.url; }
  std::string Bucket() const override { return options_.bucket; }

  // The server log may lag a little behind the requests.
  int UploadPartRequests(int at_least) override {
    for (int i = 0; i < 50; ++i) {
      if (CountUploadPartRequests(endpoint_, options_.bucket) >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return CountUploadPartRequests(endpoint_, options_.bucket);
  }

 private:
  S3Endpoint endpoint_;
  S3ClientOptions options_;
  std::unique_ptr<ObjectStore> client_;
  bool bucket_created_ = false;
};

std::unique_ptr<RecoveryBackend> MakeS3RecoveryBackend() {
  return std::make_unique<S3RecoveryBackend>();
}

INSTANTIATE_TEST_SUITE_P(Integration, RecoveryResumeCases,
                         ::testing::Values(RecoveryBackendParam{"LocalS3", &MakeS3RecoveryBackend}),
                         RecoveryBackendName);

class RecoveryIntegrationTest : public RecoveryTestBase {
 protected:
  RecoveryIntegrationTest() : RecoveryTestBase(MakeS3RecoveryBackend()) {}
};

TEST_F(RecoveryIntegrationTest, GcAbortsOrphansButNotTrackedUploads) {
  const std::string orphan = Create("gc/orphan");
  const std::string tracked = Create("gc/tracked");
  const std::string outside = Create("elsewhere/orphan");
  NewRecord("gc/tracked", tracked);

  GcOptions options;
  options.prefix = "gc/";
  options.dry_run = true;
  options.now = ::time(nullptr) + 2 * 86400;
  auto dry = AbortOrphanUploads(server(), *journal_, options, Logger::Quiet());
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->would_abort, 1u);
  EXPECT_EQ(dry->tracked, 1u);
  auto all = ListAllUploads(server(), "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  options.dry_run = false;
  auto real = AbortOrphanUploads(server(), *journal_, options, Logger::Quiet());
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->aborted, 1u);
  auto remaining = ListAllUploads(server(), "");
  ASSERT_TRUE(remaining.ok());
  std::set<std::string> left;
  for (const auto& u : *remaining) left.insert(u.upload_id);
  EXPECT_EQ(left, (std::set<std::string>{tracked, outside}));
}

}  // namespace
}  // namespace partfs::testing
