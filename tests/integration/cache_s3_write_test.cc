// The write cache against the real local S3 server (Swift + s3api): a
// multi-part file streamed through a FileWriter, a small file through one
// PutObject, and a short last part accepted by Complete.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/write_cache.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"
#include "transfer/object_store.h"
#include "transfer/s3_bucket_admin.h"
#include "transfer/s3_client.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

class CacheS3WriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = SharedS3Server();
    bucket_ = UniqueBucketName("cache");
    client_options_ = ClientOptions(endpoint_, bucket_);
    Status created = CreateBucket(client_options_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    bucket_created_ = true;
    auto client = CreateS3Client(client_options_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    store_ = std::move(client).value();
    options_.cache_dir = dir_.Sub("cache");
    options_.part_size = 5 * kMiB;  // S3's minimum part size
    // 5 MiB doubling every 1000 parts stops just short of 5 TiB; the test needs
    // far less.
    options_.profile.max_object_size = 1ull << 40;
    options_.cache_size = 32 * kMiB;
    options_.upload_threads = 4;
    options_.endpoint = endpoint_.url;
    options_.bucket = bucket_;
    auto cache = WriteCache::Open(options_, store_.get());
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  void TearDown() override {
    cache_.reset();
    store_.reset();
    if (bucket_created_) EmptyAndDeleteBucket(client_options_);
  }

  // Writes `data` to `key` in `chunk`-sized writes and finishes it.
  void WriteObject(const std::string& key, const std::string& data, size_t chunk) {
    auto writer = cache_->StartWrite(key, {{"mode", "33188"}});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (size_t off = 0; off < data.size(); off += chunk) {
      size_t n = std::min(chunk, data.size() - off);
      auto s = (*writer)->Write(off, data.data() + off, n);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      ASSERT_EQ(*s, n);
    }
    Status finished = (*writer)->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }

  std::string Read(const std::string& key) { return ReadObjectOrError(*store_, key); }

  // The ETag S3 gives the object made of `data` cut by this test's schedule.
  static std::string ExpectedMultipartEtag(const std::string& data, uint64_t part) {
    std::vector<std::string> md5s;
    for (uint64_t off = 0; off < data.size(); off += part) {
      md5s.push_back(Md5(std::string_view(data).substr(off, part)));
    }
    return MultipartEtag(md5s);
  }

  TempDir dir_{"partfs-cache-s3"};
  S3Endpoint endpoint_;
  std::string bucket_;
  S3ClientOptions client_options_;
  bool bucket_created_ = false;
  std::unique_ptr<ObjectStore> store_;
  CacheOptions options_;
  std::unique_ptr<WriteCache> cache_;
};

TEST_F(CacheS3WriteTest, SixtyFourMiBStreamedInFiveMiBParts) {
  std::string data = TestBytes(64 * kMiB, 1);
  WriteObject("cache/big.bin", data, 128 * 1024);

  auto info = store_->HeadObject("cache/big.bin");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->etag, ExpectedMultipartEtag(data, 5 * kMiB));  // 12 x 5 MiB + 4 MiB
  EXPECT_EQ(info->user_metadata["mode"], "33188");
  EXPECT_EQ(Sha256Hex(Read("cache/big.bin")), Sha256Hex(data));
  EXPECT_EQ(CountUploadPartRequests(endpoint_, bucket_), 13);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

TEST_F(CacheS3WriteTest, SmallFileIsOnePutObject) {
  std::string data = TestBytes(1000, 2);
  WriteObject("cache/small.txt", data, 300);
  auto info = store_->HeadObject("cache/small.txt");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->etag, HexEncode(Md5(data)));
  EXPECT_EQ(info->user_metadata["mode"], "33188");
  EXPECT_EQ(Read("cache/small.txt"), data);
  EXPECT_EQ(CountUploadPartRequests(endpoint_, bucket_), 0);
}

TEST_F(CacheS3WriteTest, EmptyFileIsCreated) {
  WriteObject("cache/empty", "", 1);
  auto info = store_->HeadObject("cache/empty");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 0u);
}

TEST_F(CacheS3WriteTest, OneByteLastPartNeverHitsEntityTooSmall) {
  // Odd write sizes cross part boundaries mid-write; the 1-byte tail is the
  // last part.
  std::string data = TestBytes(2 * 5 * kMiB + 1, 3);
  WriteObject("cache/tail.bin", data, 65537);
  auto info = store_->HeadObject("cache/tail.bin");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->etag, ExpectedMultipartEtag(data, 5 * kMiB));
  EXPECT_EQ(Read("cache/tail.bin"), data);
}

}  // namespace
}  // namespace partfs::testing
