// In-place changes through the write cache against the real local S3 server:
// append to a 100 MiB object copies its full parts server-side (UploadPartCopy)
// and reads at most one part, truncation keeps the right bytes, a checkpoint
// makes bytes only in an upload readable again.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/integration/cache_s3_fixture.h"
#include "tests/support/counting_store.h"
#include "tests/support/read_object.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

// The cache goes through a CountingStore, so tests see what it read and copied.
class CacheS3ModifyTest : public CacheS3Fixture {
 protected:
  CacheS3ModifyTest() : CacheS3Fixture("cache-s3-modify", "modify", 64 * kMiB) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectBucket());
    counting_ = std::make_unique<CountingStore>(store_.get());
    OpenCache(counting_.get());
  }
  void TearDown() override {
    cache_.reset();  // before the store it goes through
    counting_.reset();
    CacheS3Fixture::TearDown();
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

  std::unique_ptr<CountingStore> counting_;
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
  if (TestServerIs(ServerKind::kRgw)) {
    // Known gap (docs/DESIGN.md "Server differences"): RGW 16.2 rejects a
    // Complete that leaves out uploaded parts (InvalidPart), and the shrink
    // leaves parts 8..20 copied in the upload.
    GTEST_SKIP() << "RGW: Complete must list every uploaded part";
  }
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
