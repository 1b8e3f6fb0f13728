// Pins the exact requests partfs sends per provider profile: URL, header set,
// canonical request, string to sign and Authorization of PutObject, UploadPart
// and GetObject for AWS S3, Huawei OBS, Alibaba OSS (virtual-hosted) and a
// local server (path-style). The expected values were computed independently
// of partfs (a short Python SigV4 over the same inputs) and checked with the
// AWS test-suite vectors of transfer_sigv4_test.cc. Bodies are plain: a
// Content-MD5 header and UNSIGNED-PAYLOAD, never aws-chunked encoding,
// STREAMING-* payload hashes or x-amz-checksum trailers (which OSS and several
// S3-compatible servers reject).
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "transfer/s3_client.h"
#include "transfer/sigv4_signer.h"
#include "transfer/uri_encoding.h"

namespace partfs {
namespace {

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20261130T080000Z";
constexpr char kHelloMd5[] = "XrY7u+Ae7tCTyyK7j1rNww==";  // MD5 of "hello world"

struct SignedRequestCase {
  const char* profile;  // s3, obs, oss, local
  const char* operation;
  const char* url;
  HeaderList headers;  // exactly as sent, in order
  const char* canonical_request;
  const char* string_to_sign;
};
void PrintTo(const SignedRequestCase& c, std::ostream* os) {
  *os << c.profile << "/" << c.operation;
}

S3ClientOptions OptionsFor(const std::string& profile) {
  S3ClientOptions o;
  o.bucket = "my-bucket";
  o.access_key = kAccessKey;
  o.secret_key = kSecretKey;
  o.TEST_amz_date = kDate;
  o.retry.max_attempts = 1;
  if (profile == "s3") {
    o.endpoint = "https://s3.eu-west-1.amazonaws.com";
    o.region = "eu-west-1";
    o.path_style = false;
    o.profile = ProfileFor(Provider::kS3);
  } else if (profile == "obs") {
    o.endpoint = "https://obs.cn-north-4.myhuaweicloud.com";
    o.region = "cn-north-4";
    o.path_style = false;
    o.profile = ProfileFor(Provider::kObs);
  } else if (profile == "oss") {
    o.endpoint = "https://s3.oss-cn-hangzhou.aliyuncs.com";
    o.region = "cn-hangzhou";
    o.path_style = false;
    o.profile = ProfileFor(Provider::kOss);
    o.session_token = "tok/en+=";
  } else {
    o.endpoint = "http://127.0.0.1:8080";
    o.region = "us-east-1";
    o.path_style = true;
  }
  return o;
}

// The signer's input recovered from a request as sent.
SigV4Input InputFromRequest(const HttpRequest& http, const S3ClientOptions& options) {
  SigV4Input in;
  in.method = http.method;
  const size_t path_start = http.url.find('/', http.url.find("://") + 3);
  const size_t q = http.url.find('?');
  in.canonical_uri = http.url.substr(path_start, q == std::string::npos ? q : q - path_start);
  if (q != std::string::npos) {
    std::string rest = http.url.substr(q + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t amp = rest.find('&', start);
      if (amp == std::string::npos) amp = rest.size();
      const std::string param = rest.substr(start, amp - start);
      const size_t eq = param.find('=');
      in.query.emplace_back(UriDecode(param.substr(0, eq)), UriDecode(param.substr(eq + 1)));
      start = amp + 1;
    }
  }
  for (const auto& [name, value] : http.headers) {
    if (name == "authorization") continue;
    if (name == "x-amz-date") in.amz_date = value;
    if (name == "x-amz-content-sha256") in.payload_hash = value;
    in.headers.emplace_back(name, value);
  }
  in.region = options.region;
  in.service = "s3";
  in.access_key = options.access_key;
  in.secret_key = options.secret_key;
  return in;
}

class TransferRequestSigningTest : public ::testing::TestWithParam<SignedRequestCase> {};

TEST_P(TransferRequestSigningTest, ExactRequest) {
  const SignedRequestCase& c = GetParam();
  S3ClientOptions options = OptionsFor(c.profile);
  std::vector<HttpRequest> sent;
  options.TEST_transport = [&sent](const HttpRequest& http) -> Result<HttpResponse> {
    sent.push_back(http);
    HttpResponse response;
    response.status = 200;
    response.headers["etag"] = "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"";
    return response;
  };
  auto client = CreateS3Client(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  testing::TempDir dir("request-signing");
  const std::string path = dir.Sub("body");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello world", 11), 11);
  const FileRange body{fd, 0, 11};
  const std::string op = c.operation;
  if (op == "PutObject") {
    ASSERT_TRUE((*client)->PutObject("dir/a file.txt", body, {{"mode", "0644"}}, kHelloMd5).ok());
  } else if (op == "UploadPart") {
    ASSERT_TRUE((*client)->UploadPart("big.bin", "2~abc/x=", 3, body, kHelloMd5).ok());
  } else {
    char buf[10];
    EXPECT_TRUE((*client)->GetObject("dir/a file.txt", 0, sizeof(buf), buf).ok());
  }
  close(fd);
  ASSERT_EQ(sent.size(), 1u);
  const HttpRequest& http = sent[0];
  EXPECT_EQ(http.url, c.url);
  EXPECT_EQ(http.headers, c.headers);
  for (const auto& [name, value] : http.headers) {
    EXPECT_NE(name.rfind("x-amz-checksum", 0), 0u) << name;
    EXPECT_NE(name, "content-encoding");
    EXPECT_NE(name, "x-amz-trailer");
    EXPECT_NE(name, "x-amz-decoded-content-length");
    if (name == "x-amz-content-sha256") {
      EXPECT_NE(value.rfind("STREAMING-", 0), 0u);
    }
  }
  const SigV4Output signature = SignV4(InputFromRequest(http, options));
  EXPECT_EQ(signature.canonical_request, c.canonical_request);
  EXPECT_EQ(signature.string_to_sign, c.string_to_sign);
}

// An error answer without a body (HEAD) still names its request ID, from the
// provider's request-ID header.
TEST(TransferRequestIdTest, ErrorsNameTheProvidersRequestIdHeader) {
  for (const auto& [profile, header] : std::vector<std::pair<std::string, std::string>>{
           {"s3", "x-amz-request-id"}, {"obs", "x-obs-request-id"}, {"oss", "x-oss-request-id"}}) {
    S3ClientOptions options = OptionsFor(profile);
    options.TEST_transport = [header = header](const HttpRequest&) -> Result<HttpResponse> {
      HttpResponse response;
      response.status = 404;
      response.headers[header] = "REQ-" + header;
      return response;
    };
    auto client = CreateS3Client(options);
    ASSERT_TRUE(client.ok());
    auto head = (*client)->HeadObject("missing");
    ASSERT_FALSE(head.ok());
    EXPECT_EQ(head.status().remote_code(), "NoSuchKey");
    EXPECT_NE(head.status().message().find("[request id REQ-" + header + "]"), std::string::npos)
        << head.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, TransferRequestSigningTest,
    ::testing::ValuesIn(std::vector<SignedRequestCase>{
        {"s3",
         "PutObject",
         "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/a%20file.txt",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"x-amz-meta-mode", "0644"},
          {"host", "my-bucket.s3.eu-west-1.amazonaws.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/eu-west-1/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode, "
           "Signature=4ff5dd6a21d4c83149d5c9bcaca7a03920cc96847f6435f47d17a12572c93656"}},
         "PUT\n"
         "/dir/a%20file.txt\n"
         "\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.s3.eu-west-1.amazonaws.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-meta-mode:0644\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/eu-west-1/s3/aws4_request\n"
         "990bf21cb9cfb4d1b6788a452bb91400dd05e8be419e42c7f56ddf85e4fa653f"},
        {"s3",
         "UploadPart",
         "https://my-bucket.s3.eu-west-1.amazonaws.com/big.bin?partNumber=3&uploadId=2~abc%2Fx%3D",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"host", "my-bucket.s3.eu-west-1.amazonaws.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/eu-west-1/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, "
           "Signature=e6f5e930255afe38440c4f40827958d2164af7077a20038a3691cbcd92f13c9a"}},
         "PUT\n"
         "/big.bin\n"
         "partNumber=3&uploadId=2~abc%2Fx%3D\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.s3.eu-west-1.amazonaws.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/eu-west-1/s3/aws4_request\n"
         "62948ee40d0115563b0133fe1972122209c75c2667bb6619ab7908212bec2841"},
        {"s3",
         "GetObject",
         "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/a%20file.txt",
         {{"range", "bytes=0-9"},
          {"host", "my-bucket.s3.eu-west-1.amazonaws.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/eu-west-1/s3/aws4_request, "
           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
           "Signature=e7d68d16badd82304cb2a08fbc87806f1c6a0b72c228430caaad574d219afb20"}},
         "GET\n"
         "/dir/a%20file.txt\n"
         "\n"
         "host:my-bucket.s3.eu-west-1.amazonaws.com\n"
         "range:bytes=0-9\n"
         "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "host;range;x-amz-content-sha256;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/eu-west-1/s3/aws4_request\n"
         "b98ece1c7ae33c5dce721de595df3a96c9ca6de8928601ad80c9ddae724df3d8"},
        {"obs",
         "PutObject",
         "https://my-bucket.obs.cn-north-4.myhuaweicloud.com/dir/a%20file.txt",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"x-amz-meta-mode", "0644"},
          {"host", "my-bucket.obs.cn-north-4.myhuaweicloud.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-north-4/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode, "
           "Signature=6e16257fdf43813774f4e05ae9298674ede2d648a7ab959b6ccf6fa8a4eca6ac"}},
         "PUT\n"
         "/dir/a%20file.txt\n"
         "\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.obs.cn-north-4.myhuaweicloud.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-meta-mode:0644\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-north-4/s3/aws4_request\n"
         "d59e51e3e84ed43f7e7d8f750e06e679743d7e641a5c0fd6153e02785a87f89d"},
        {"obs",
         "UploadPart",
         "https://my-bucket.obs.cn-north-4.myhuaweicloud.com/"
         "big.bin?partNumber=3&uploadId=2~abc%2Fx%3D",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"host", "my-bucket.obs.cn-north-4.myhuaweicloud.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-north-4/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, "
           "Signature=04ed4a892bee0b579215799fa4e446068b0c9f6437fe26fde64eadfe12d1c8fc"}},
         "PUT\n"
         "/big.bin\n"
         "partNumber=3&uploadId=2~abc%2Fx%3D\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.obs.cn-north-4.myhuaweicloud.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-north-4/s3/aws4_request\n"
         "bdfa6884dcc5bf4357571e22659114bdd20e790bbe2a9cc601a32bb07e282775"},
        {"obs",
         "GetObject",
         "https://my-bucket.obs.cn-north-4.myhuaweicloud.com/dir/a%20file.txt",
         {{"range", "bytes=0-9"},
          {"host", "my-bucket.obs.cn-north-4.myhuaweicloud.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-north-4/s3/aws4_request, "
           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
           "Signature=f270a5407f27deac9825bb3f1eea9e9ebb1117976a874022aad952ce9e8036a4"}},
         "GET\n"
         "/dir/a%20file.txt\n"
         "\n"
         "host:my-bucket.obs.cn-north-4.myhuaweicloud.com\n"
         "range:bytes=0-9\n"
         "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "host;range;x-amz-content-sha256;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-north-4/s3/aws4_request\n"
         "0b2a4828d4280744bc37a66b28f47cedb695f9310447c29fa2479ac6bd5cb397"},
        {"oss",
         "PutObject",
         "https://my-bucket.s3.oss-cn-hangzhou.aliyuncs.com/dir/a%20file.txt",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"x-amz-meta-mode", "0644"},
          {"host", "my-bucket.s3.oss-cn-hangzhou.aliyuncs.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"x-amz-security-token", "tok/en+="},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-hangzhou/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode;x-amz-"
           "security-token, "
           "Signature=8148db7011ad1029b264678fe76c8b88806a4f87670b88a45618ee8f8d74ac01"}},
         "PUT\n"
         "/dir/a%20file.txt\n"
         "\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.s3.oss-cn-hangzhou.aliyuncs.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-meta-mode:0644\n"
         "x-amz-security-token:tok/en+=\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode;x-amz-security-token\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-hangzhou/s3/aws4_request\n"
         "8b7fafb1cd8bd4282849b87ed2cecc84cb9574cc603b2845f73058f3edc42919"},
        {"oss",
         "UploadPart",
         "https://my-bucket.s3.oss-cn-hangzhou.aliyuncs.com/"
         "big.bin?partNumber=3&uploadId=2~abc%2Fx%3D",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"host", "my-bucket.s3.oss-cn-hangzhou.aliyuncs.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"x-amz-security-token", "tok/en+="},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-hangzhou/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
           "Signature=4b5e7b8c4bef43f580b808525ed2181db78777d6f515e2ad2f4b5afc569c74fb"}},
         "PUT\n"
         "/big.bin\n"
         "partNumber=3&uploadId=2~abc%2Fx%3D\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:my-bucket.s3.oss-cn-hangzhou.aliyuncs.com\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-security-token:tok/en+=\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-hangzhou/s3/aws4_request\n"
         "68e9b62bf0617e29bc026780520ee50aa0d6b8484645d43910d4a7d85b1fde5c"},
        {"oss",
         "GetObject",
         "https://my-bucket.s3.oss-cn-hangzhou.aliyuncs.com/dir/a%20file.txt",
         {{"range", "bytes=0-9"},
          {"host", "my-bucket.s3.oss-cn-hangzhou.aliyuncs.com"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
          {"x-amz-security-token", "tok/en+="},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/cn-hangzhou/s3/aws4_request, "
           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
           "Signature=e99b1061026b6c9281c562e207313ef9b0498be0408cb9d6dc4f05ae7c4ae5e1"}},
         "GET\n"
         "/dir/a%20file.txt\n"
         "\n"
         "host:my-bucket.s3.oss-cn-hangzhou.aliyuncs.com\n"
         "range:bytes=0-9\n"
         "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-security-token:tok/en+=\n"
         "\n"
         "host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/cn-hangzhou/s3/aws4_request\n"
         "1b62c7f7fc40a55bb064889eb49a69a82e94755a25beff74aec2beab72c54d47"},
        {"local",
         "PutObject",
         "http://127.0.0.1:8080/my-bucket/dir/a%20file.txt",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"x-amz-meta-mode", "0644"},
          {"host", "127.0.0.1:8080"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode, "
           "Signature=a03444e4e7d9f95c2e0442d461ea8a439c1cee5a860ebbf4503d67723fd24892"}},
         "PUT\n"
         "/my-bucket/dir/a%20file.txt\n"
         "\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:127.0.0.1:8080\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "x-amz-meta-mode:0644\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/us-east-1/s3/aws4_request\n"
         "5e439f7809815138bffc1c723d220652e07e954dbd49d1305ca74637935945a2"},
        {"local",
         "UploadPart",
         "http://127.0.0.1:8080/my-bucket/big.bin?partNumber=3&uploadId=2~abc%2Fx%3D",
         {{"content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="},
          {"host", "127.0.0.1:8080"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/s3/aws4_request, "
           "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date, "
           "Signature=a6ddb3e027d305b9812be0f8d26cc972fad801188d5c1776eddc6037c227a9c5"}},
         "PUT\n"
         "/my-bucket/big.bin\n"
         "partNumber=3&uploadId=2~abc%2Fx%3D\n"
         "content-md5:XrY7u+Ae7tCTyyK7j1rNww==\n"
         "host:127.0.0.1:8080\n"
         "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "content-md5;host;x-amz-content-sha256;x-amz-date\n"
         "UNSIGNED-PAYLOAD",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/us-east-1/s3/aws4_request\n"
         "0c1d74b839941458e74aa24e66394e82df47941c61df42a61b23b159798cfead"},
        {"local",
         "GetObject",
         "http://127.0.0.1:8080/my-bucket/dir/a%20file.txt",
         {{"range", "bytes=0-9"},
          {"host", "127.0.0.1:8080"},
          {"x-amz-date", "20261130T080000Z"},
          {"x-amz-content-sha256",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
          {"authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/s3/aws4_request, "
           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
           "Signature=0ba093c24675bf5f32639b132b258c3ac52dacc428c28afc2c5387d3dbf92ea3"}},
         "GET\n"
         "/my-bucket/dir/a%20file.txt\n"
         "\n"
         "host:127.0.0.1:8080\n"
         "range:bytes=0-9\n"
         "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
         "x-amz-date:20261130T080000Z\n"
         "\n"
         "host;range;x-amz-content-sha256;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20261130T080000Z\n"
         "20261130/us-east-1/s3/aws4_request\n"
         "3800e47a0b177e91ddb0763d5201c14963309798167b87f4f6d70b4cc985f9af"},

    }),
    [](const ::testing::TestParamInfo<SignedRequestCase>& info) {
      return std::string(info.param.profile) + "_" + info.param.operation;
    });

}  // namespace
}  // namespace partfs
