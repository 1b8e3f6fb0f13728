// Ceph RGW's answers that differ from AWS and Swift (tests/data/rgw/, captured
// by tests/data/capture_rgw_quirks.py from scripts/rgw-server.sh) and how the
// transfer layer reads them. The integration tier sees the same on a live RGW.
#include <gtest/gtest.h>

#include "tests/support/test_data.h"
#include "transfer/retry_policy.h"
#include "transfer/s3_error.h"
#include "transfer/s3_xml.h"

namespace partfs {
namespace {

using testing::ReadTestData;

TEST(TransferRgwQuirksTest, CompleteWithEmptyEtagParsesAsEmpty) {
  // S3Client falls back to the expected ETag (or a HEAD) on this answer.
  auto etag = ParseCompleteMultipartUploadResult(
      ReadTestData("rgw/CompleteMultipartUpload_empty_etag.xml"));
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "");
  auto again =
      ParseCompleteMultipartUploadResult(ReadTestData("rgw/CompleteMultipartUpload_again.xml"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, "94f8e164b9a2fbe8c9b1972cd9498362-1");
}

TEST(TransferRgwQuirksTest, ListPartsNoSuchKeyIsNoSuchUpload) {
  Status st = MapS3Error("ListParts", "s3://b/k", 404,
                         ReadTestData("rgw/ListParts_completed_NoSuchKey.xml"), "NoSuchUpload");
  EXPECT_EQ(st.remote_code(), "NoSuchKey");
  Status mapped = ListPartsNoSuchKeyAsNoSuchUpload(st);
  EXPECT_TRUE(mapped.IsNotFound());
  EXPECT_EQ(mapped.remote_code(), "NoSuchUpload");
  EXPECT_EQ(mapped.http_status(), 404);
  // The same Status as a server that says NoSuchUpload.
  Status swift = MapS3Error("ListParts", "s3://b/k", 404, ReadTestData("Error_NoSuchUpload.xml"));
  EXPECT_EQ(mapped.code(), swift.code());
  EXPECT_EQ(mapped.remote_code(), swift.remote_code());
}

TEST(TransferRgwQuirksTest, OtherStatusesPassThroughTheListPartsMapping) {
  Status missing_bucket =
      MapS3Error("ListParts", "s3://b/k", 404, ReadTestData("Error_NoSuchBucket.xml"));
  EXPECT_EQ(ListPartsNoSuchKeyAsNoSuchUpload(missing_bucket).remote_code(), "NoSuchBucket");
  EXPECT_TRUE(ListPartsNoSuchKeyAsNoSuchUpload(Status::OK()).ok());
  // Elsewhere a NoSuchKey stays a NoSuchKey: only ListParts maps it.
  Status get = MapS3Error("GetObject", "s3://b/k", 404, ReadTestData("Error_NoSuchKey.xml"));
  EXPECT_EQ(get.remote_code(), "NoSuchKey");
}

TEST(TransferRgwQuirksTest, CompletionInProgressIsNotRetried) {
  Status st = MapS3Error("CompleteMultipartUpload", "s3://b/k", 500,
                         ReadTestData("rgw/Complete_unknown_upload_InternalError.xml"));
  EXPECT_TRUE(st.IsUnavailable());
  EXPECT_TRUE(IsCompletionInProgress(st));
  EXPECT_FALSE(RetryPolicy::IsRetryable(st));
  RetryOptions options;
  options.max_attempts = 10;
  RetryPolicy policy(options, [] { return 0.5; });
  EXPECT_FALSE(policy.NextDelay(st, 1, std::chrono::milliseconds(0)).has_value());
}

TEST(TransferRgwQuirksTest, OtherInternalErrorsAreStillRetried) {
  const std::string body =
      "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message>"
      "</Error>";
  Status st = MapS3Error("CompleteMultipartUpload", "s3://b/k", 500, body);
  EXPECT_FALSE(IsCompletionInProgress(st));
  EXPECT_TRUE(RetryPolicy::IsRetryable(st));
}

}  // namespace
}  // namespace partfs
