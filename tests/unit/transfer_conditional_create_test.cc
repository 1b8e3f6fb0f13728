// Create-only-if-absent: the header per provider profile and how the servers'
// answers read (RGW 412, Swift's 501 on PUT and 412 on Complete, OSS 409).
#include "transfer/conditional_create.h"

#include <gtest/gtest.h>

#include "tests/support/test_data.h"
#include "transfer/s3_error.h"

namespace partfs {
namespace {

using testing::ReadTestData;

TEST(TransferConditionalCreateTest, HeaderPerProvider) {
  auto s3 = IfAbsentHeader(ProfileFor(Provider::kS3));
  EXPECT_EQ(s3.first, "if-none-match");
  EXPECT_EQ(s3.second, "*");
  auto obs = IfAbsentHeader(ProfileFor(Provider::kObs));
  EXPECT_EQ(obs.first, "if-none-match");
  EXPECT_EQ(obs.second, "*");
  auto oss = IfAbsentHeader(ProfileFor(Provider::kOss));
  EXPECT_EQ(oss.first, "x-oss-forbid-overwrite");
  EXPECT_EQ(oss.second, "true");
}

TEST(TransferConditionalCreateTest, RgwPreconditionFailedIsAlreadyExists) {
  Status put = MapS3Error("PutObject", "s3://b/k", 412,
                          ReadTestData("rgw/PutObject_if_none_match_PreconditionFailed.xml"));
  EXPECT_TRUE(IsConditionFailed(put));
  EXPECT_FALSE(IsConditionUnsupported(put));
  Status exists = AsAlreadyExists(put);
  EXPECT_EQ(exists.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(exists.remote_code(), "PreconditionFailed");
}

TEST(TransferConditionalCreateTest, SwiftRefusesConditionalPutButHonoursComplete) {
  Status put = MapS3Error("PutObject", "s3://b/k", 501,
                          ReadTestData("swift/PutObject_if_none_match_NotImplemented.xml"));
  EXPECT_TRUE(IsConditionUnsupported(put));
  EXPECT_FALSE(IsConditionFailed(put));
  Status complete = MapS3Error("CompleteMultipartUpload", "s3://b/k", 412,
                               ReadTestData("swift/Complete_if_none_match_PreconditionFailed.xml"));
  EXPECT_TRUE(IsConditionFailed(complete));
}

TEST(TransferConditionalCreateTest, OssFileAlreadyExists) {
  const std::string body =
      "<Error><Code>FileAlreadyExists</Code><Message>The object you specified already "
      "exists and can not be overwritten.</Message></Error>";
  Status st = MapS3Error("PutObject", "s3://b/k", 409, body);
  EXPECT_TRUE(IsConditionFailed(st));
  EXPECT_EQ(AsAlreadyExists(st).code(), Status::Code::kAlreadyExists);
}

TEST(TransferConditionalCreateTest, MultipartErrorsAreNotTheHeader) {
  Status too_small = MapS3Error("CompleteMultipartUpload", "s3://b/k", 400,
                                ReadTestData("Error_EntityTooSmall.xml"));
  EXPECT_FALSE(IsConditionUnsupported(too_small));
  EXPECT_FALSE(IsConditionFailed(too_small));
  Status invalid_part =
      MapS3Error("CompleteMultipartUpload", "s3://b/k", 400, ReadTestData("Error_InvalidPart.xml"));
  EXPECT_FALSE(IsConditionUnsupported(invalid_part));
  Status bare_400 = MapS3Error("PutObject", "s3://b/k", 400, "");
  EXPECT_TRUE(IsConditionUnsupported(bare_400));
}

}  // namespace
}  // namespace partfs
