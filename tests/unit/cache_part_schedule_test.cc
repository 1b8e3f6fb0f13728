#include "cache/part_schedule.h"

#include <gtest/gtest.h>

#include "transfer/provider_profile.h"

namespace partfs {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kTiB = 1ull << 40;

PartSchedule Default() {
  ProviderProfile s3 = ProfileFor(Provider::kS3);
  return PartSchedule(8 * kMiB, PartSchedule::kDefaultPartsPerStep, s3.max_part_size,
                      s3.max_part_count);
}

TEST(CachePartScheduleTest, SizesDoubleEveryStep) {
  PartSchedule s = Default();
  EXPECT_EQ(s.PartSize(1), 8 * kMiB);
  EXPECT_EQ(s.PartSize(1000), 8 * kMiB);
  EXPECT_EQ(s.PartSize(1001), 16 * kMiB);
  EXPECT_EQ(s.PartSize(2000), 16 * kMiB);
  EXPECT_EQ(s.PartSize(2001), 32 * kMiB);
  EXPECT_EQ(s.PartSize(10000), 8 * kMiB * 512);
}

TEST(CachePartScheduleTest, StartsAreCumulativeSizes) {
  PartSchedule s = Default();
  EXPECT_EQ(s.PartStart(1), 0u);
  EXPECT_EQ(s.PartStart(2), 8 * kMiB);
  EXPECT_EQ(s.PartStart(1001), 1000 * 8 * kMiB);
  EXPECT_EQ(s.PartStart(1002), 1000 * 8 * kMiB + 16 * kMiB);
  for (uint32_t n : {1u, 2u, 999u, 1000u, 1001u, 2500u, 9999u}) {
    EXPECT_EQ(s.PartStart(n + 1), s.PartStart(n) + s.PartSize(n)) << n;
  }
}

TEST(CachePartScheduleTest, PartForOffsetFindsTheHoldingPart) {
  PartSchedule s = Default();
  EXPECT_EQ(s.PartForOffset(0), 1u);
  EXPECT_EQ(s.PartForOffset(8 * kMiB - 1), 1u);
  EXPECT_EQ(s.PartForOffset(8 * kMiB), 2u);
  for (uint32_t n : {1u, 7u, 1000u, 1001u, 3333u, 10000u}) {
    uint64_t start = s.PartStart(n);
    EXPECT_EQ(s.PartForOffset(start), n);
    EXPECT_EQ(s.PartForOffset(start + s.PartSize(n) - 1), n);
  }
}

TEST(CachePartScheduleTest, DefaultsReachFiveTebibytes) {
  EXPECT_GE(Default().MaxFileSize(), 5 * kTiB);
  EXPECT_TRUE(PartSchedule::Validate(8 * kMiB, PartSchedule::kDefaultPartsPerStep,
                                     ProfileFor(Provider::kS3))
                  .ok());
  // 5 MiB x 1000 x (2^10 - 1) is just short of 5 TiB; ~5.25 MiB is the smallest base that fits.
  EXPECT_TRUE(PartSchedule::Validate(6 * kMiB, PartSchedule::kDefaultPartsPerStep,
                                     ProfileFor(Provider::kS3))
                  .ok());
}

TEST(CachePartScheduleTest, SizesAreCappedAtTheProviderMaximum) {
  PartSchedule s(4 * kGiB, PartSchedule::kDefaultPartsPerStep, 5 * kGiB, 10000);
  EXPECT_EQ(s.PartSize(1), 4 * kGiB);
  EXPECT_EQ(s.PartSize(1001), 5 * kGiB);
  EXPECT_EQ(s.PartSize(10000), 5 * kGiB);
}

TEST(CachePartScheduleTest, ValidateRejectsBadPartSizes) {
  ProviderProfile s3 = ProfileFor(Provider::kS3);
  Status too_small = PartSchedule::Validate(1 * kMiB, PartSchedule::kDefaultPartsPerStep, s3);
  EXPECT_EQ(too_small.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(too_small.message().find("minimum"), std::string::npos);
  Status too_big = PartSchedule::Validate(6 * kGiB, PartSchedule::kDefaultPartsPerStep, s3);
  EXPECT_EQ(too_big.code(), Status::Code::kInvalidArgument);
  // 10,000 parts of 5 MiB without growth cannot hold a 5 TiB object.
  Status unreachable = PartSchedule::Validate(5 * kMiB, 10000, s3);
  EXPECT_EQ(unreachable.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace partfs

namespace partfs {
namespace {

TEST(CachePartScheduleStepTest, FiveMiBOnS3GetsShorterStepsThatReachFiveTiB) {
  ProviderProfile s3 = ProfileFor(Provider::kS3);
  const uint64_t five_mib = 5ull << 20;
  uint32_t per_step = PartSchedule::PartsPerStepFor(five_mib, s3);
  EXPECT_LT(per_step, PartSchedule::kDefaultPartsPerStep);
  EXPECT_TRUE(PartSchedule::Validate(five_mib, per_step, s3).ok());
  EXPECT_EQ(PartSchedule::PartsPerStepFor(8ull << 20, s3), PartSchedule::kDefaultPartsPerStep);
}

}  // namespace
}  // namespace partfs

namespace partfs {
namespace {

TEST(CachePartScheduleStepTest, ObsAndOssDefaultsReachFiveTiB) {
  for (Provider provider : {Provider::kObs, Provider::kOss}) {
    ProviderProfile profile = ProfileFor(provider);
    const uint64_t eight_mib = 8ull << 20;
    uint32_t per_step = PartSchedule::PartsPerStepFor(eight_mib, profile);
    EXPECT_TRUE(PartSchedule::Validate(eight_mib, per_step, profile).ok()) << profile.name;
    PartSchedule schedule(eight_mib, per_step, profile.max_part_size, profile.max_part_count);
    EXPECT_GE(schedule.MaxFileSize(), 5ull << 40) << profile.name;
  }
}

}  // namespace
}  // namespace partfs
