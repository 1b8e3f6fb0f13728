// Shared fixture for the transfer integration tests: a fresh bucket on the
// local S3 server per test and an S3Client on it. The bucket (objects,
// unfinished uploads, then the bucket) is removed in TearDown, also after a
// failed assertion. Not thread-safe (one per test).
#ifndef PARTFS_TESTS_INTEGRATION_TRANSFER_TEST_FIXTURE_H_
#define PARTFS_TESTS_INTEGRATION_TRANSFER_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/s3_test_server.h"
#include "transfer/object_store.h"
#include "transfer/s3_bucket_admin.h"
#include "transfer/s3_client.h"

namespace partfs::testing {

// Removes every object and unfinished upload, then the bucket. Best effort.
inline void EmptyAndDeleteBucket(const S3ClientOptions& options) {
  auto client = CreateS3Client(options);
  if (!client.ok()) return;
  ObjectStore& store = **client;
  for (int round = 0; round < 100; ++round) {
    auto page = store.ListObjects("", "", "", 1000);
    if (!page.ok() || page->objects.empty()) break;
    std::vector<std::string> keys;
    for (const auto& o : page->objects) keys.push_back(o.key);
    if (!store.DeleteObjects(keys).ok()) break;
  }
  auto uploads = ListAllUploads(store, "");
  if (uploads.ok()) {
    for (const auto& u : *uploads) (void)store.AbortMultipartUpload(u.key, u.upload_id);
  }
  (void)DeleteBucket(options);
}

class TransferBucketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = SharedS3Server();
    options_ = ClientOptions(endpoint_, UniqueBucketName("xfer"));
    options_.retry.base_delay = std::chrono::milliseconds(20);
    Status created = CreateBucket(options_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    bucket_created_ = true;
    auto client = CreateS3Client(options_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    store_ = std::move(client).value();
  }

  void TearDown() override {
    store_.reset();
    if (bucket_created_) EmptyAndDeleteBucket(options_);
  }

  // A client for the same bucket with changed options.
  std::unique_ptr<ObjectStore> ClientWith(const S3ClientOptions& options) {
    auto client = CreateS3Client(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  S3Endpoint endpoint_;
  S3ClientOptions options_;
  bool bucket_created_ = false;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_INTEGRATION_TRANSFER_TEST_FIXTURE_H_
