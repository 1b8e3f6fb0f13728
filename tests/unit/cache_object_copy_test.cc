// The multipart copy (cache/object_copy.h): the range plan within the
// provider's limits, and a copy above a lowered single-request limit.
#include "cache/object_copy.h"

#include "gtest/gtest.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/read_object.h"
#include "tests/support/test_data.h"

namespace partfs {
namespace {

using Op = testing::FakeObjectStore::Op;
constexpr uint64_t kMiB = 1 << 20;

void ExpectContiguous(const std::vector<CopyRange>& ranges, uint64_t size) {
  uint64_t next = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(ranges[i].part_number, i + 1);
    EXPECT_EQ(ranges[i].first, next);
    EXPECT_GE(ranges[i].last, ranges[i].first);
    next = ranges[i].last + 1;
  }
  EXPECT_EQ(next, size);
}

TEST(CacheObjectCopyTest, PlanUsesLargePartsWithinTheLimits) {
  const ProviderProfile s3 = ProfileFor(Provider::kS3);
  const uint64_t six_gib = 6ull << 30;
  auto ranges = PlanCopyRanges(six_gib, s3);
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->size(), 12u);  // 512 MiB parts
  ExpectContiguous(*ranges, six_gib);
  // The largest object: 10,000 parts at most, each within [min, max].
  auto biggest = PlanCopyRanges(s3.max_object_size, s3);
  ASSERT_TRUE(biggest.ok());
  EXPECT_LE(biggest->size(), s3.max_part_count);
  for (size_t i = 0; i + 1 < biggest->size(); ++i) {
    const uint64_t size = (*biggest)[i].last - (*biggest)[i].first + 1;
    EXPECT_GE(size, s3.min_part_size);
    EXPECT_LE(size, s3.max_part_size);
  }
  ExpectContiguous(*biggest, s3.max_object_size);
  EXPECT_EQ(PlanCopyRanges(s3.max_object_size + 1, s3).status().code(), Status::Code::kTooLarge);
}

TEST(CacheObjectCopyTest, PlanWithALoweredLimit) {
  ProviderProfile profile = ProfileFor(Provider::kS3);
  profile.max_part_size = 5 * kMiB;
  auto ranges = PlanCopyRanges(12 * kMiB, profile);
  ASSERT_TRUE(ranges.ok());
  ASSERT_EQ(ranges->size(), 3u);  // 5 + 5 + 2 MiB
  EXPECT_EQ((*ranges)[2].first, 10 * kMiB);
  ExpectContiguous(*ranges, 12 * kMiB);
  profile.max_part_count = 2;
  EXPECT_EQ(PlanCopyRanges(12 * kMiB, profile).status().code(), Status::Code::kTooLarge);
}

TEST(CacheObjectCopyTest, CopiesAboveTheSingleRequestLimitInParts) {
  testing::FakeObjectStore store;
  ProviderProfile profile = ProfileFor(Provider::kS3);
  profile.max_part_size = 5 * kMiB;
  const std::string data = testing::TestBytes(12 * kMiB, 3);
  ASSERT_TRUE(store.PutObjectFromString("src", data, {{"mode", "33188"}}).ok());
  auto etag = CopyObjectOfAnySize(store, profile, "src", data.size(), "dst",
                                  MetadataDirective::kCopy, {}, 3);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(testing::ReadObjectOrError(store, "dst"), data);
  EXPECT_EQ(store.ObjectMetadata("dst")->at("mode"), "33188");
  EXPECT_EQ(store.Calls(Op::kCopyObject), 0);
  EXPECT_EQ(store.Calls(Op::kUploadPart), 3);
  // Onto itself with new metadata (chmod of a large closed file).
  ASSERT_TRUE(CopyObjectOfAnySize(store, profile, "src", data.size(), "src",
                                  MetadataDirective::kReplace, {{"mode", "33261"}}, 2)
                  .ok());
  EXPECT_EQ(store.ObjectMetadata("src")->at("mode"), "33261");
  EXPECT_EQ(testing::ReadObjectOrError(store, "src"), data);
  // A failed part aborts the upload: the destination is unchanged.
  store.FailOperation(Op::kUploadPart, Status::Unavailable("injected"), 1);
  EXPECT_FALSE(CopyObjectOfAnySize(store, profile, "src", data.size(), "other",
                                   MetadataDirective::kCopy, {}, 2)
                   .ok());
  EXPECT_FALSE(store.ObjectData("other").has_value());
  EXPECT_EQ(store.OpenUploads(), 0u);
}

}  // namespace
}  // namespace partfs
