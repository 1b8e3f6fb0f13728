// Endpoint and provider inference: which provider an endpoint belongs to, the
// endpoint of a provider's region, the region in an endpoint's host name and
// the default addressing style. Pure functions of their inputs (no I/O, no
// environment), thread-safe; the rules are documented in docs/DESIGN.md
// ("Provider profiles").
#ifndef PARTFS_TRANSFER_ENDPOINT_PROFILE_H_
#define PARTFS_TRANSFER_ENDPOINT_PROFILE_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "transfer/provider_profile.h"

namespace partfs {

// The region used when nothing names one.
inline constexpr char kDefaultRegion[] = "us-east-1";

// The host of "https://host:port/..." (lower-cased, without port); "" when none.
std::string EndpointHost(std::string_view endpoint);

// *.amazonaws.com[.cn] -> s3, obs.*.myhuaweicloud.com -> obs,
// [s3.]oss-*.aliyuncs.com -> oss; nullopt for any other host (generic S3-compatible).
std::optional<Provider> ProviderFromHost(std::string_view host);

// The region named in a provider host: s3.eu-west-1.amazonaws.com -> eu-west-1
// (s3.amazonaws.com -> us-east-1), obs.cn-north-4.myhuaweicloud.com -> cn-north-4,
// oss-cn-hangzhou[-internal].aliyuncs.com -> cn-hangzhou; nullopt otherwise.
std::optional<std::string> RegionFromHost(std::string_view host);

// The public HTTPS endpoint of a provider's region: https://s3.REGION.amazonaws.com,
// https://obs.REGION.myhuaweicloud.com, https://s3.oss-REGION.aliyuncs.com.
std::string ProviderEndpoint(Provider provider, std::string_view region);

// What the user asked for; unset fields are inferred.
struct EndpointRequest {
  std::optional<std::string> endpoint;  // -o endpoint
  std::optional<std::string> provider;  // -o provider
  std::optional<std::string> region;    // -o region
  std::optional<bool> path_style;       // -o path_style / virtual_host
  // Region of a lower-priority source (the AWS config file), used when neither
  // -o region nor the endpoint's host names one.
  std::optional<std::string> fallback_region;
};

struct ResolvedEndpoint {
  std::string endpoint;  // "https://s3.us-east-1.amazonaws.com", no trailing '/'
  std::string region;
  ProviderProfile profile;
  bool path_style = false;
};

// Provider: -o provider, else the endpoint's host, else s3 conventions.
// Endpoint: -o endpoint, else the provider's endpoint for the region.
// Region: -o region, else the endpoint's host, else fallback_region, else us-east-1.
// Addressing: path_style/virtual_host, else virtual-hosted for AWS, OBS and OSS
// hosts and path-style for any other host (local and S3-compatible servers).
// InvalidArgument (one line) for an unknown provider name.
Result<ResolvedEndpoint> ResolveEndpoint(const EndpointRequest& request);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_ENDPOINT_PROFILE_H_
