// ProviderProfile: the limits and header conventions of one object-storage
// provider (AWS S3, Huawei Cloud OBS, Alibaba Cloud OSS). Facts come from the
// providers' documentation (see docs/DESIGN.md). Immutable value type.
#ifndef PARTFS_TRANSFER_PROVIDER_PROFILE_H_
#define PARTFS_TRANSFER_PROVIDER_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace partfs {

enum class Provider { kS3, kObs, kOss };

struct ProviderProfile {
  Provider provider = Provider::kS3;
  std::string_view name;                   // "s3", "obs", "oss"
  uint64_t min_part_size = 0;              // minimum size of a non-last part
  uint64_t max_part_size = 0;              // maximum size of any part
  uint32_t max_part_count = 0;             // highest part number
  uint64_t max_object_size = 0;            // largest object a multipart upload may create
  std::string_view meta_prefix;            // user metadata header prefix, e.g. "x-amz-meta-"
  std::string_view security_token_header;  // session token header
  std::string_view request_id_header;      // response header naming the request, for logs
};

// Returns the profile for a provider name ("s3", "obs", "oss"), or nullopt.
std::optional<ProviderProfile> ProfileByName(std::string_view name);
ProviderProfile ProfileFor(Provider provider);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_PROVIDER_PROFILE_H_
