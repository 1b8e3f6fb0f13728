// Unit tests for provider and endpoint inference (transfer/endpoint_profile.h).
#include "transfer/endpoint_profile.h"

#include <gtest/gtest.h>

namespace partfs {
namespace {

TEST(TransferEndpointProfileTest, HostOfEndpoint) {
  EXPECT_EQ(EndpointHost("https://S3.EU-West-1.amazonaws.com/"), "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(EndpointHost("http://127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(EndpointHost("http://[::1]:8080"), "[::1]");
}

TEST(TransferEndpointProfileTest, ProviderFromHost) {
  EXPECT_EQ(ProviderFromHost("s3.eu-west-1.amazonaws.com"), Provider::kS3);
  EXPECT_EQ(ProviderFromHost("s3.amazonaws.com"), Provider::kS3);
  EXPECT_EQ(ProviderFromHost("s3.cn-north-1.amazonaws.com.cn"), Provider::kS3);
  EXPECT_EQ(ProviderFromHost("obs.cn-north-4.myhuaweicloud.com"), Provider::kObs);
  EXPECT_EQ(ProviderFromHost("oss-cn-hangzhou.aliyuncs.com"), Provider::kOss);
  EXPECT_EQ(ProviderFromHost("s3.oss-cn-hangzhou.aliyuncs.com"), Provider::kOss);
  EXPECT_EQ(ProviderFromHost("oss-cn-hangzhou-internal.aliyuncs.com"), Provider::kOss);
  EXPECT_EQ(ProviderFromHost("127.0.0.1"), std::nullopt);
  EXPECT_EQ(ProviderFromHost("minio.example.com"), std::nullopt);
  EXPECT_EQ(ProviderFromHost("ecs.cn-hangzhou.aliyuncs.com"), std::nullopt);
  EXPECT_EQ(ProviderFromHost("notamazonaws.com"), std::nullopt);
}

TEST(TransferEndpointProfileTest, RegionFromHost) {
  EXPECT_EQ(RegionFromHost("s3.eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(RegionFromHost("s3.dualstack.eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(RegionFromHost("s3-eu-west-1.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(RegionFromHost("s3.amazonaws.com"), "us-east-1");
  EXPECT_EQ(RegionFromHost("s3.cn-north-1.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(RegionFromHost("obs.cn-north-4.myhuaweicloud.com"), "cn-north-4");
  EXPECT_EQ(RegionFromHost("oss-cn-hangzhou.aliyuncs.com"), "cn-hangzhou");
  EXPECT_EQ(RegionFromHost("s3.oss-cn-hangzhou.aliyuncs.com"), "cn-hangzhou");
  EXPECT_EQ(RegionFromHost("oss-cn-hangzhou-internal.aliyuncs.com"), "cn-hangzhou");
  EXPECT_EQ(RegionFromHost("127.0.0.1"), std::nullopt);
}

TEST(TransferEndpointProfileTest, ProviderEndpoints) {
  EXPECT_EQ(ProviderEndpoint(Provider::kS3, "eu-west-1"), "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(ProviderEndpoint(Provider::kObs, "cn-north-4"),
            "https://obs.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(ProviderEndpoint(Provider::kOss, "cn-hangzhou"),
            "https://s3.oss-cn-hangzhou.aliyuncs.com");
}

Result<ResolvedEndpoint> Resolve(std::optional<std::string> endpoint,
                                 std::optional<std::string> provider = std::nullopt,
                                 std::optional<std::string> region = std::nullopt,
                                 std::optional<bool> path_style = std::nullopt,
                                 std::optional<std::string> fallback_region = std::nullopt) {
  EndpointRequest request;
  request.endpoint = endpoint;
  request.provider = provider;
  request.region = region;
  request.path_style = path_style;
  request.fallback_region = fallback_region;
  return ResolveEndpoint(request);
}

TEST(TransferEndpointProfileTest, NothingGivenIsAwsUsEast1) {
  auto r = Resolve(std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(r->region, "us-east-1");
  EXPECT_EQ(r->profile.name, "s3");
  EXPECT_FALSE(r->path_style);
  // A region from ~/.aws/config picks the endpoint.
  r = Resolve(std::nullopt, std::nullopt, std::nullopt, std::nullopt, "eu-central-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->endpoint, "https://s3.eu-central-1.amazonaws.com");
  EXPECT_EQ(r->region, "eu-central-1");
}

TEST(TransferEndpointProfileTest, ProviderAndRegionBuildTheEndpoint) {
  auto obs = Resolve(std::nullopt, "obs", "cn-north-4");
  ASSERT_TRUE(obs.ok());
  EXPECT_EQ(obs->endpoint, "https://obs.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(obs->profile.name, "obs");
  EXPECT_FALSE(obs->path_style);
  auto oss = Resolve(std::nullopt, "oss", "cn-hangzhou");
  ASSERT_TRUE(oss.ok());
  EXPECT_EQ(oss->endpoint, "https://s3.oss-cn-hangzhou.aliyuncs.com");
  EXPECT_EQ(oss->region, "cn-hangzhou");
  EXPECT_FALSE(oss->path_style);
}

TEST(TransferEndpointProfileTest, EndpointSelectsProviderRegionAndAddressing) {
  struct Case {
    const char* endpoint;
    const char* provider;
    const char* region;
    bool path_style;
  };
  for (const Case& c : {
           Case{"https://s3.eu-west-1.amazonaws.com/", "s3", "eu-west-1", false},
           Case{"https://obs.cn-north-4.myhuaweicloud.com", "obs", "cn-north-4", false},
           Case{"https://oss-cn-hangzhou.aliyuncs.com", "oss", "cn-hangzhou", false},
           Case{"http://127.0.0.1:8080", "s3", "us-east-1", true},
           Case{"https://minio.example.com:9000", "s3", "us-east-1", true},
       }) {
    auto r = Resolve(c.endpoint);
    ASSERT_TRUE(r.ok()) << c.endpoint;
    EXPECT_EQ(r->profile.name, c.provider) << c.endpoint;
    EXPECT_EQ(r->region, c.region) << c.endpoint;
    EXPECT_EQ(r->path_style, c.path_style) << c.endpoint;
    EXPECT_EQ(r->endpoint.back() == '/', false) << c.endpoint;
  }
}

TEST(TransferEndpointProfileTest, OptionsWinOverInference) {
  // -o region beats the host; the AWS config's region only fills a gap.
  auto r =
      Resolve("https://s3.eu-west-1.amazonaws.com", std::nullopt, "us-west-2", true, "ap-south-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "us-west-2");
  EXPECT_TRUE(r->path_style);
  r = Resolve("https://s3.eu-west-1.amazonaws.com", std::nullopt, std::nullopt, std::nullopt,
              "ap-south-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "eu-west-1");
  r = Resolve("http://127.0.0.1:8080", "oss", std::nullopt, std::nullopt, "ap-south-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "ap-south-1");
  EXPECT_EQ(r->profile.name, "oss");
  EXPECT_TRUE(r->path_style);
}

TEST(TransferEndpointProfileTest, UnknownProvider) {
  auto r = Resolve(std::nullopt, "gcs");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown provider 'gcs'"), std::string::npos);
}

TEST(TransferEndpointProfileTest, RequestIdHeaderPerProvider) {
  EXPECT_EQ(ProfileFor(Provider::kS3).request_id_header, "x-amz-request-id");
  EXPECT_EQ(ProfileFor(Provider::kObs).request_id_header, "x-obs-request-id");
  EXPECT_EQ(ProfileFor(Provider::kOss).request_id_header, "x-oss-request-id");
}

}  // namespace
}  // namespace partfs
