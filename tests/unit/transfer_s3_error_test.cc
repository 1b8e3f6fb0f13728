#include "transfer/s3_error.h"

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_data.h"

namespace partfs {
namespace {

using testing::ReadTestData;

using Code = Status::Code;

TEST(TransferS3ErrorTest, NoSuchKeyIsNotFound) {
  const std::string body = ReadTestData("Error_NoSuchKey.xml");
  Status s = MapS3Error("GetObject", "s3://b/missing.txt", 404, body);
  auto parsed = ParseS3ErrorBody(body);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_FALSE(parsed->request_id.empty());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.remote_code(), "NoSuchKey");
  EXPECT_EQ(s.http_status(), 404);
  EXPECT_NE(s.message().find("GetObject s3://b/missing.txt"), std::string::npos);
  EXPECT_NE(s.message().find(parsed->request_id), std::string::npos);
}

TEST(TransferS3ErrorTest, NoSuchBucketAndUpload) {
  Status b = MapS3Error("ListObjectsV2", "s3://x/", 404, ReadTestData("Error_NoSuchBucket.xml"));
  EXPECT_EQ(b.code(), Code::kNotFound);
  EXPECT_EQ(b.remote_code(), "NoSuchBucket");
  Status u = MapS3Error("ListParts", "s3://x/k", 404, ReadTestData("Error_NoSuchUpload.xml"));
  EXPECT_EQ(u.code(), Code::kNotFound);
  EXPECT_EQ(u.remote_code(), "NoSuchUpload");
}

TEST(TransferS3ErrorTest, SignatureMismatchSaysCredentialsRejectedWithoutEcho) {
  const std::string body = ReadTestData("Error_SignatureDoesNotMatch.xml");
  ASSERT_NE(body.find("StringToSign"), std::string::npos);
  Status s = MapS3Error("HeadObject", "s3://b/k", 403, body);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.remote_code(), "SignatureDoesNotMatch");
  EXPECT_NE(s.message().find("rejected the credentials"), std::string::npos);
  EXPECT_EQ(s.message().find("AWS4-HMAC-SHA256"), std::string::npos);  // no string-to-sign
  const size_t sig = body.find("<SignatureProvided>");
  ASSERT_NE(sig, std::string::npos);
  const std::string signature = body.substr(sig + 19, 64);
  EXPECT_EQ(s.message().find(signature), std::string::npos);  // no signature echoed
}

TEST(TransferS3ErrorTest, BodilessForbiddenAndNotFound) {
  Status f = MapS3Error("HeadBucket", "s3://b/", 403, "");
  EXPECT_EQ(f.code(), Code::kPermissionDenied);
  EXPECT_NE(f.message().find("credentials were rejected"), std::string::npos);
  Status n = MapS3Error("HeadBucket", "s3://b/", 404, "", "NoSuchBucket");
  EXPECT_EQ(n.code(), Code::kNotFound);
  EXPECT_EQ(n.remote_code(), "NoSuchBucket");
}

// A HEAD has no body: the request id comes from the headers, each provider's name.
TEST(TransferS3ErrorTest, RequestIdFromHeaders) {
  ResponseIds aws = ResponseIdsFromHeaders(
      {{"x-amz-request-id", "AWS1"}, {"x-amz-id-2", "ext/2="}, {"etag", "\"x\""}});
  EXPECT_EQ(aws.request_id, "AWS1");
  EXPECT_EQ(aws.id2, "ext/2=");
  EXPECT_EQ(ResponseIdsFromHeaders({{"x-obs-request-id", "OBS1"}}).request_id, "OBS1");
  EXPECT_EQ(ResponseIdsFromHeaders({{"x-oss-request-id", "OSS1"}}).request_id, "OSS1");
  EXPECT_EQ(ResponseIdsFromHeaders({}).request_id, "");

  Status f = MapS3Error("HeadObject", "s3://b/k", 403, "", "NoSuchKey", aws);
  EXPECT_NE(f.message().find("s3://b/k"), std::string::npos) << f.message();
  EXPECT_NE(f.message().find("[request id AWS1, id-2 ext/2=]"), std::string::npos) << f.message();
  Status none = MapS3Error("HeadObject", "s3://b/k", 403, "");
  EXPECT_EQ(none.message().find("request id"), std::string::npos) << none.message();
}

TEST(TransferS3ErrorTest, MultipartErrorsAreInvalidArgumentWithClearText) {
  Status small = MapS3Error("CompleteMultipartUpload", "s3://b/k", 400,
                            ReadTestData("Error_EntityTooSmall.xml"));
  EXPECT_EQ(small.code(), Code::kInvalidArgument);
  EXPECT_EQ(small.remote_code(), "EntityTooSmall");
  EXPECT_NE(small.message().find("minimum part size"), std::string::npos);
  Status part =
      MapS3Error("CompleteMultipartUpload", "s3://b/k", 400, ReadTestData("Error_InvalidPart.xml"));
  EXPECT_EQ(part.code(), Code::kInvalidArgument);
  EXPECT_EQ(part.remote_code(), "InvalidPart");
  Status order = MapS3Error("CompleteMultipartUpload", "s3://b/k", 400,
                            "<Error><Code>InvalidPartOrder</Code></Error>");
  EXPECT_EQ(order.code(), Code::kInvalidArgument);
}

// An error response and the Status code it maps to.
struct ErrorCodeCase {
  const char* name;
  int http_status;
  const char* body;
  Code code;
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
void PrintTo(const ErrorCodeCase& c, std::ostream* os) { *os << c.name; }

class TransferS3ErrorCodeTest : public ::testing::TestWithParam<ErrorCodeCase> {};

// Transient errors are Unavailable (retried); the others have their own codes.
TEST_P(TransferS3ErrorCodeTest, MapsToCode) {
  EXPECT_EQ(MapS3Error("Op", "r", GetParam().http_status, GetParam().body).code(), GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    Responses, TransferS3ErrorCodeTest,
    ::testing::ValuesIn(std::vector<ErrorCodeCase>{
        {"SlowDown", 503, "<Error><Code>SlowDown</Code></Error>", Code::kUnavailable},
        {"RequestTimeout", 400, "<Error><Code>RequestTimeout</Code></Error>", Code::kUnavailable},
        {"InternalErrorIn200", 200, "<Error><Code>InternalError</Code></Error>",
         Code::kUnavailable},
        {"Bare500", 500, "", Code::kUnavailable},
        {"HtmlBadGateway", 502, "<html>bad gateway</html>", Code::kUnavailable},
        {"TooManyRequests", 429, "", Code::kUnavailable},
        {"EntityTooLarge", 400, "<Error><Code>EntityTooLarge</Code></Error>", Code::kTooLarge},
        {"BucketNotEmpty", 409, "<Error><Code>BucketNotEmpty</Code></Error>", Code::kBusy},
        {"BadDigest", 400, "<Error><Code>BadDigest</Code></Error>", Code::kCorruption},
        {"AccessDenied", 403, "<Error><Code>AccessDenied</Code></Error>", Code::kPermissionDenied},
        {"InvalidAccessKeyId", 403, "<Error><Code>InvalidAccessKeyId</Code></Error>",
         Code::kPermissionDenied}}),
    [](const ::testing::TestParamInfo<ErrorCodeCase>& info) {
      return std::string(info.param.name);
    });

TEST(TransferS3ErrorTest, ParseOnlyErrorDocuments) {
  EXPECT_FALSE(ParseS3ErrorBody(ReadTestData("CompleteMultipartUpload.xml")).has_value());
  EXPECT_FALSE(ParseS3ErrorBody("").has_value());
  EXPECT_FALSE(ParseS3ErrorBody("<<<").has_value());
  auto e = ParseS3ErrorBody(ReadTestData("Error_NoSuchKey.xml"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
}

}  // namespace
}  // namespace partfs
