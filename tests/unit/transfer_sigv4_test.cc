// SigV4 signer against AWS's published Signature Version 4 test suite
// (vectors copied into tests/data/sigv4/ from botocore's aws4_testsuite).
// Each case: <name>.req (HTTP request), .creq (canonical request), .sts
// (string to sign), .authz (Authorization header).
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "transfer/hashing.h"
#include "transfer/sigv4_signer.h"
#include "transfer/uri_encoding.h"

namespace partfs {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CaseFile(const std::string& name, const std::string& ext) {
  return ReadFile(std::string(PARTFS_SOURCE_DIR) + "/tests/data/sigv4/" + name + "/" + name + "." +
                  ext);
}

// Turns a test-suite .req file into signer input. The request line's path is
// raw (UTF-8, spaces) and its query already encoded, as in the suite.
SigV4Input ParseRequest(const std::string& req) {
  SigV4Input in;
  in.region = "us-east-1";
  in.service = "service";
  in.access_key = "AKIDEXAMPLE";
  in.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  const size_t head_end = req.find("\n\n");
  const std::string head = req.substr(0, head_end);
  const std::string body = head_end == std::string::npos ? "" : req.substr(head_end + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  in.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  in.canonical_uri = EncodeKeyPath(target.substr(0, q));
  if (q != std::string::npos) {
    std::istringstream params(target.substr(q + 1));
    std::string param;
    while (std::getline(params, param, '&')) {
      const size_t eq = param.find('=');
      in.query.emplace_back(UriDecode(param.substr(0, eq)),
                            eq == std::string::npos ? "" : UriDecode(param.substr(eq + 1)));
    }
  }
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    if (name == "X-Amz-Security-Token") {
      in.session_token = value;
      continue;
    }
    if (name == "X-Amz-Date") in.amz_date = value;
    in.headers.emplace_back(name, value);
  }
  in.payload_hash = Sha256Hex(body);
  return in;
}

class TransferSigV4VectorTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TransferSigV4VectorTest, MatchesPublishedVector) {
  const std::string name = GetParam();
  const std::string req = CaseFile(name, "req");
  ASSERT_FALSE(req.empty()) << "missing vector " << name;
  SigV4Input in = ParseRequest(req);
  if (name == "get-vanilla-with-session-token") {
    // The suite adds this token without listing it in the .req file.
    in.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  }
  const SigV4Output out = SignV4(in);
  EXPECT_EQ(out.canonical_request, CaseFile(name, "creq"));
  EXPECT_EQ(out.string_to_sign, CaseFile(name, "sts"));
  EXPECT_EQ(out.authorization, CaseFile(name, "authz"));
}

INSTANTIATE_TEST_SUITE_P(
    AwsSuite, TransferSigV4VectorTest,
    ::testing::Values("get-vanilla", "get-vanilla-query", "get-vanilla-query-order-key",
                      "get-vanilla-query-order-key-case", "get-vanilla-query-order-value",
                      "get-vanilla-query-order-encoded", "get-vanilla-query-unreserved",
                      "get-vanilla-empty-query-key", "get-vanilla-utf8-query", "get-unreserved",
                      "get-utf8", "get-space", "get-header-value-trim", "get-header-value-order",
                      "get-vanilla-with-session-token", "post-header-key-case",
                      "post-header-key-sort", "post-header-value-case", "post-vanilla",
                      "post-vanilla-query", "post-vanilla-empty-query-value",
                      "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
                      "post-sts-header-before"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string n = info.param;
      for (char& c : n) {
        if (c == '-') c = '_';
      }
      return n;
    });

// An S3 request in us-east-1 without headers.
SigV4Input S3Request(const std::string& method, const std::string& uri, const std::string& date,
                     const std::string& access_key, const std::string& secret_key,
                     const std::string& payload_hash) {
  SigV4Input in;
  in.method = method;
  in.canonical_uri = uri;
  in.amz_date = date;
  in.region = "us-east-1";
  in.service = "s3";
  in.access_key = access_key;
  in.secret_key = secret_key;
  in.payload_hash = payload_hash;
  return in;
}

// AWS's documented S3 example (GET /test.txt with a Range header, from the
// "Signature Calculations for the Authorization Header" S3 page).
TEST(TransferSigV4Test, AwsS3DocumentationGetObjectExample) {
  SigV4Input in = S3Request("GET", "/test.txt", "20130524T000000Z", "AKIAIOSFODNN7EXAMPLE",
                            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Sha256Hex(""));
  in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                {"Range", "bytes=0-9"},
                {"x-amz-content-sha256", in.payload_hash},
                {"x-amz-date", in.amz_date}};
  const SigV4Output out = SignV4(in);
  EXPECT_EQ(out.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(out.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
}

TEST(TransferSigV4Test, UnsignedPayloadIsTheLastCanonicalLine) {
  SigV4Input in = S3Request("PUT", "/bucket/key", "20240101T000000Z", "AK", "SK", kUnsignedPayload);
  in.headers = {{"host", "h"}, {"x-amz-date", in.amz_date}};
  const SigV4Output out = SignV4(in);
  EXPECT_TRUE(out.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_EQ(out.authorization.find("SK"), std::string::npos);
}

TEST(TransferSigV4Test, CanonicalQueryEncodesAndSorts) {
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "a/b+c="}, {"partNumber", "3"}}),
            "partNumber=3&uploadId=a%2Fb%2Bc%3D");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "a b"}, {"list-type", "2"}}),
            "list-type=2&prefix=a%20b");
}

TEST(TransferSigV4Test, HeaderValueTrimmed) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b  c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
}

}  // namespace
}  // namespace partfs
