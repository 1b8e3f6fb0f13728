// In-place changes through the write cache against the real local S3 server:
// append to a 100 MiB object copies its full parts server-side (UploadPartCopy)
// and reads at most one part, truncation keeps the right bytes, a checkpoint
// makes bytes only in an upload readable again.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/write_cache.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/counting_store.h"
#include "tests/support/read_object.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"
#include "transfer/s3_bucket_admin.h"
#include "transfer/s3_client.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

class CacheS3ModifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = SharedS3Server();
    bucket_ = UniqueBucketName("modify");
    client_options_ = ClientOptions(endpoint_, bucket_);
    Status created = CreateBucket(client_options_);
    ASSERT_TRUE(created.ok()) << created.ToString();
    bucket_created_ = true;
    auto client = CreateS3Client(client_options_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    store_ = std::move(client).value();
    counting_ = std::make_unique<CountingStore>(store_.get());
    options_.cache_dir = dir_.Sub("cache");
    options_.part_size = 5 * kMiB;
    options_.profile.max_object_size = 1ull << 40;
    options_.cache_size = 64 * kMiB;
    options_.upload_threads = 4;
    options_.endpoint = endpoint_.url;
    options_.bucket = bucket_;
    auto cache = WriteCache::Open(options_, counting_.get());
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  void TearDown() override {
    cache_.reset();
    counting_.reset();
    store_.reset();
    if (bucket_created_) EmptyAndDeleteBucket(client_options_);
  }

  void Put(const std::string& key, const std::string& data) {
    auto writer = cache_->StartWrite(key, {});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (size_t off = 0; off < data.size(); off += kMiB) {
      size_t n = std::min<size_t>(kMiB, data.size() - off);
      auto s = (*writer)->Write(off, data.data() + off, n);
      ASSERT_TRUE(s.ok() && *s == n) << s.status().ToString();
    }
    Status finished = (*writer)->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }

  std::shared_ptr<FileWriter> Modify(const std::string& key) {
    auto info = store_->HeadObject(key);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return nullptr;
    auto writer = cache_->StartModify(key, {}, info->size, info->etag);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? *writer : nullptr;
  }

  TempDir dir_{"cache-s3-modify"};
  S3Endpoint endpoint_;
  std::string bucket_;
  S3ClientOptions client_options_;
  bool bucket_created_ = false;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<CountingStore> counting_;
  CacheOptions options_;
  std::unique_ptr<WriteCache> cache_;
};

TEST_F(CacheS3ModifyTest, AppendingOneMiBToA100MiBObjectReadsAtMostOnePart) {
  std::string data = TestBytes(100 * kMiB + 123, 3);
  Put("big", data);
  const uint64_t gets_before = counting_->get_bytes.load();
  auto w = Modify("big");
  ASSERT_TRUE(w);
  std::string more = TestBytes(kMiB, 4);
  auto s = w->Write(data.size(), more.data(), more.size());
  ASSERT_TRUE(s.ok() && *s == more.size()) << s.status().ToString();
  Status finished = w->Finish();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_LE(counting_->get_bytes.load() - gets_before, 5 * kMiB);
  EXPECT_EQ(counting_->part_copies.load(), 20);  // every full 5 MiB part, server-side
  EXPECT_EQ(Sha256Hex(ReadObjectOrError(*store_, "big")), Sha256Hex(data + more));
}

TEST_F(CacheS3ModifyTest, TruncateA100MiBObjectTo30AndTo150MiB) {
  std::string data = TestBytes(100 * kMiB, 5);
  Put("t", data);
  {
    auto w = Modify("t");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->Truncate(30 * kMiB + 7).ok());
    Status finished = w->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }
  data.resize(30 * kMiB + 7);
  EXPECT_EQ(Sha256Hex(ReadObjectOrError(*store_, "t")), Sha256Hex(data));
  {
    auto w = Modify("t");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->Truncate(150 * kMiB).ok());
    Status finished = w->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
  }
  data.resize(150 * kMiB, '\0');
  EXPECT_EQ(Sha256Hex(ReadObjectOrError(*store_, "t")), Sha256Hex(data));
}

TEST_F(CacheS3ModifyTest, RewritesAndReadsWhileWritingMatchAShadow) {
  std::string shadow = TestBytes(17 * kMiB + 5, 6);
  Put("r", shadow);
  auto w = Modify("r");
  ASSERT_TRUE(w);
  auto write = [&](uint64_t off, const std::string& bytes) {
    auto s = w->Write(off, bytes.data(), bytes.size());
    ASSERT_TRUE(s.ok() && *s == bytes.size()) << s.status().ToString();
    if (shadow.size() < off + bytes.size()) shadow.resize(off + bytes.size(), '\0');
    shadow.replace(off, bytes.size(), bytes);
  };
  write(3, "into a copied part");
  write(12 * kMiB - 2, TestBytes(kMiB, 7));  // across the boundary of parts 2 and 3
  write(25 * kMiB, "past a hole");
  std::string back(shadow.size(), '\0');
  auto got = w->Read(0, back.size(), back.data());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  back.resize(*got);
  EXPECT_EQ(Sha256Hex(back), Sha256Hex(shadow));
  Status finished = w->Finish();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_EQ(Sha256Hex(ReadObjectOrError(*store_, "r")), Sha256Hex(shadow));
}

}  // namespace
}  // namespace partfs::testing
