// The write cache against the real local S3 server (Swift + s3api): a
// multi-part file streamed through a FileWriter, a small file through one
// PutObject, and a short last part accepted by Complete.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/integration/cache_s3_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"
#include "transfer/object_store.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

class CacheS3WriteTest : public CacheS3Fixture {
 protected:
  CacheS3WriteTest() : CacheS3Fixture("partfs-cache-s3", "cache", 32 * kMiB) {}

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
