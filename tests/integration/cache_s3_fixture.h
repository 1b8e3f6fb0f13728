// Shared fixture of the cache integration tests against the real local S3
// server: a fresh bucket per test, an S3Client on it (store_) and a WriteCache
// in a TempDir with 5 MiB parts (S3's minimum) over it. TearDown closes the
// cache and removes the bucket, also after a failed assertion. A derived
// fixture that puts a wrapper between cache and store overrides SetUp with
// ConnectBucket(), then OpenCache(wrapper).
#ifndef PARTFS_TESTS_INTEGRATION_CACHE_S3_FIXTURE_H_
#define PARTFS_TESTS_INTEGRATION_CACHE_S3_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "cache/write_cache.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "transfer/object_store.h"
#include "transfer/s3_bucket_admin.h"
#include "transfer/s3_client.h"

namespace partfs::testing {

class CacheS3Fixture : public ::testing::Test {
 protected:
  CacheS3Fixture(const std::string& dir_prefix, std::string bucket_prefix, uint64_t cache_size)
      : dir_(dir_prefix), bucket_prefix_(std::move(bucket_prefix)) {
    options_.cache_dir = dir_.Sub("cache");
    options_.part_size = 5ull << 20;  // S3's minimum part size
    // 5 MiB doubling every 1000 parts stops just short of 5 TiB; the tests need
    // far less.
    options_.profile.max_object_size = 1ull << 40;
    options_.cache_size = cache_size;
    options_.upload_threads = 4;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectBucket());
    OpenCache(store_.get());
  }
  void TearDown() override {
    cache_.reset();
    store_.reset();
    if (bucket_created_) EmptyAndDeleteBucket(client_options_);
  }

  // Creates the test's bucket and store_, a client on it.
  void ConnectBucket() {
    endpoint_ = SharedS3Server();
    bucket_ = UniqueBucketName(bucket_prefix_);
    client_options_ = ClientOptions(endpoint_, bucket_);
    Status created = CreateBucket(client_options_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    bucket_created_ = true;
    auto client = CreateS3Client(client_options_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    store_ = std::move(client).value();
  }
  // Opens cache_ over `store` (store_ or a wrapper of it).
  void OpenCache(ObjectStore* store) {
    options_.endpoint = endpoint_.url;
    options_.bucket = bucket_;
    auto cache = WriteCache::Open(options_, store);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  TempDir dir_;
  const std::string bucket_prefix_;
  S3Endpoint endpoint_;
  std::string bucket_;
  S3ClientOptions client_options_;
  bool bucket_created_ = false;
  std::unique_ptr<ObjectStore> store_;
  CacheOptions options_;
  std::unique_ptr<WriteCache> cache_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_INTEGRATION_CACHE_S3_FIXTURE_H_
