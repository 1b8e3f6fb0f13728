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
  S3ErrorHeaders aws = S3ErrorHeadersFrom(
      {{"x-amz-request-id", "AWS1"}, {"x-amz-id-2", "ext/2="}, {"etag", "\"x\""}});
  EXPECT_EQ(aws.request_id, "AWS1");
  EXPECT_EQ(aws.id2, "ext/2=");
  EXPECT_EQ(S3ErrorHeadersFrom({{"x-obs-request-id", "OBS1"}}).request_id, "OBS1");
  EXPECT_EQ(S3ErrorHeadersFrom({{"x-oss-request-id", "OSS1"}}).request_id, "OSS1");
  EXPECT_EQ(S3ErrorHeadersFrom({}).request_id, "");

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

// The same condition as AWS S3, Huawei OBS and Alibaba OSS report it: one
// Status code and one remote_code for all three.
struct ProviderErrorCase {
  const char* name;
  int http_status;
  const char* body;
  Code code;
  const char* condition;
};
void PrintTo(const ProviderErrorCase& c, std::ostream* os) { *os << c.name; }

class TransferS3ProviderErrorTest : public ::testing::TestWithParam<ProviderErrorCase> {};

TEST_P(TransferS3ProviderErrorTest, SameConditionSameStatus) {
  const ProviderErrorCase& c = GetParam();
  Status s = MapS3Error("Op", "s3://b/k", c.http_status, c.body);
  EXPECT_EQ(s.code(), c.code);
  EXPECT_EQ(s.remote_code(), c.condition);
  EXPECT_EQ(s.http_status(), c.http_status);
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Providers, TransferS3ProviderErrorTest,
    ::testing::ValuesIn(std::vector<ProviderErrorCase>{
        // Bad Content-MD5.
        {"S3BadDigest", 400, "<Error><Code>BadDigest</Code></Error>", Code::kCorruption,
         "BadDigest"},
        {"ObsBadDigest", 400, "<Error><Code>BadDigest</Code></Error>", Code::kCorruption,
         "BadDigest"},
        {"OssInvalidDigest", 400, "<Error><Code>InvalidDigest</Code></Error>", Code::kCorruption,
         "BadDigest"},
        // Missing bucket, key, upload.
        {"OssNoSuchBucket", 404, "<Error><Code>NoSuchBucket</Code></Error>", Code::kNotFound,
         "NoSuchBucket"},
        {"ObsNoSuchKey", 404, "<Error><Code>NoSuchKey</Code></Error>", Code::kNotFound,
         "NoSuchKey"},
        {"OssNoSuchUpload", 404, "<Error><Code>NoSuchUpload</Code></Error>", Code::kNotFound,
         "NoSuchUpload"},
        // Access refused.
        {"S3AccessDenied", 403, "<Error><Code>AccessDenied</Code></Error>", Code::kPermissionDenied,
         "AccessDenied"},
        {"ObsAccessForbidden", 403, "<Error><Code>AccessForbidden</Code></Error>",
         Code::kPermissionDenied, "AccessDenied"},
        // Credentials rejected.
        {"OssSignatureDoesNotMatch", 403, "<Error><Code>SignatureDoesNotMatch</Code></Error>",
         Code::kPermissionDenied, "SignatureDoesNotMatch"},
        {"ObsInvalidSecurity", 403, "<Error><Code>InvalidSecurity</Code></Error>",
         Code::kPermissionDenied, "InvalidToken"},
        {"OssSecurityTokenExpired", 403, "<Error><Code>SecurityTokenExpired</Code></Error>",
         Code::kPermissionDenied, "ExpiredToken"},
        // Part too small at Complete.
        {"S3EntityTooSmall", 400, "<Error><Code>EntityTooSmall</Code></Error>",
         Code::kInvalidArgument, "EntityTooSmall"},
        {"ObsEntityTooSmall", 400, "<Error><Code>EntityTooSmall</Code></Error>",
         Code::kInvalidArgument, "EntityTooSmall"},
        // Bucket in another region.
        {"S3AuthorizationHeaderMalformed", 400,
         "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>",
         Code::kInvalidArgument, "WrongRegion"},
        {"S3PermanentRedirect", 301,
         "<Error><Code>PermanentRedirect</Code><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint>"
         "</Error>",
         Code::kInvalidArgument, "WrongRegion"},
        {"ObsPermanentRedirect", 301, "<Error><Code>PermanentRedirect</Code></Error>",
         Code::kInvalidArgument, "WrongRegion"},
        {"OssAccessDeniedWithEndpoint", 403,
         "<Error><Code>AccessDenied</Code><Endpoint>oss-cn-shanghai.aliyuncs.com</Endpoint>"
         "</Error>",
         Code::kInvalidArgument, "WrongRegion"}}),
    [](const ::testing::TestParamInfo<ProviderErrorCase>& info) {
      return std::string(info.param.name);
    });

TEST(TransferS3ErrorTest, WrongRegionNamesTheRegionToUse) {
  Status r = MapS3Error(
      "HeadBucket", "s3://b/", 400,
      "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>");
  EXPECT_NE(r.message().find("WrongRegion (AuthorizationHeaderMalformed, HTTP 400)"),
            std::string::npos)
      << r.message();
  EXPECT_NE(r.message().find("use -o region=eu-west-1"), std::string::npos) << r.message();
  // OSS's wrong-endpoint AccessDenied and AWS's PermanentRedirect name the
  // bucket's host; its region is the one to use.
  Status e = MapS3Error("HeadBucket", "s3://b/", 403,
                        "<Error><Code>AccessDenied</Code><Endpoint>oss-cn-shanghai.aliyuncs.com"
                        "</Endpoint></Error>");
  EXPECT_NE(e.message().find("use -o region=cn-shanghai"), std::string::npos) << e.message();
  Status p = MapS3Error("PutObject", "s3://b/k", 301,
                        "<Error><Code>PermanentRedirect</Code>"
                        "<Endpoint>b.s3.eu-central-1.amazonaws.com</Endpoint></Error>");
  EXPECT_NE(p.message().find("use -o region=eu-central-1"), std::string::npos) << p.message();
  // A HEAD answer has no body: the status and headers tell.
  S3ErrorHeaders headers;
  headers.bucket_region = "ap-south-1";
  headers.request_id = "REQ123";
  Status h = MapS3Error("HeadBucket", "s3://b/", 301, "", "NoSuchBucket", headers);
  EXPECT_EQ(h.code(), Code::kInvalidArgument);
  EXPECT_EQ(h.remote_code(), "WrongRegion");
  EXPECT_NE(h.message().find("use -o region=ap-south-1"), std::string::npos) << h.message();
  EXPECT_NE(h.message().find("[request id REQ123]"), std::string::npos) << h.message();
  Status oss =
      MapS3Error("UploadPart", "s3://b/k", 400, "<Error><Code>InvalidDigest</Code></Error>");
  EXPECT_NE(oss.message().find("BadDigest (InvalidDigest, HTTP 400)"), std::string::npos)
      << oss.message();
  EXPECT_EQ(S3ErrorCondition("InvalidDigest"), "BadDigest");
  EXPECT_EQ(S3ErrorCondition("SomethingNew"), "SomethingNew");
}

TEST(TransferS3ErrorTest, ParseOnlyErrorDocuments) {
  EXPECT_FALSE(ParseS3ErrorBody(ReadTestData("CompleteMultipartUpload.xml")).has_value());
  EXPECT_FALSE(ParseS3ErrorBody("").has_value());
  EXPECT_FALSE(ParseS3ErrorBody("<<<").has_value());
  auto e = ParseS3ErrorBody(ReadTestData("Error_NoSuchKey.xml"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
}

// A wrong-region error names the bucket's region and the option to use:
// AWS in a <Region> element, Swift in its message.
TEST(TransferS3ErrorTest, WrongRegionNamesTheRegionFromAwsBodyOrSwiftMessage) {
  Status aws = MapS3Error("ListObjectsV2", "s3://b/", 400,
                          "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The "
                          "authorization header is malformed; the region 'us-east-1' is wrong; "
                          "expecting 'eu-central-1'</Message><Region>eu-central-1</Region>"
                          "<RequestId>R1</RequestId></Error>");
  EXPECT_NE(aws.message().find("the bucket is in region eu-central-1: use -o region=eu-central-1"),
            std::string::npos)
      << aws.message();
  Status swift = MapS3Error("ListObjectsV2", "s3://b/", 400,
                            "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region "
                            "'eu-west-1' is wrong; expecting 'us-east-1'</Message></Error>");
  EXPECT_NE(swift.message().find("use -o region=us-east-1"), std::string::npos) << swift.message();
  Status other =
      MapS3Error("GetObject", "s3://b/k", 404,
                 "<Error><Code>NoSuchKey</Code><Message>expecting 'x'</Message></Error>");
  EXPECT_EQ(other.message().find("region"), std::string::npos) << other.message();
}

}  // namespace
}  // namespace partfs
