#include "transfer/provider_profile.h"

namespace partfs {

namespace {
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kTiB = 1024 * kGiB;
}  // namespace

ProviderProfile ProfileFor(Provider provider) {
  ProviderProfile p;
  p.provider = provider;
  switch (provider) {
    case Provider::kS3:
      // AWS: parts 5 MiB..5 GiB, 10,000 parts, 5 TiB objects.
      p.name = "s3";
      p.min_part_size = 5 * kMiB;
      p.max_part_size = 5 * kGiB;
      p.max_part_count = 10000;
      p.max_object_size = 5 * kTiB;
      p.meta_prefix = "x-amz-meta-";
      p.security_token_header = "x-amz-security-token";
      p.request_id_header = "x-amz-request-id";
      break;
    case Provider::kObs:
      // OBS through its S3-compatible API: 100 KB minimum only on OBS 3.0 buckets, 5 MB on
      // 2.0 buckets; we take the safe 5 MB. Parts up to 5 GB, objects up to 48.8 TB.
      p.name = "obs";
      p.min_part_size = 5 * 1000 * 1000;
      p.max_part_size = 5ull * 1000 * 1000 * 1000;
      p.max_part_count = 10000;
      p.max_object_size = 48800ull * 1000 * 1000 * 1000;
      p.meta_prefix = "x-amz-meta-";
      p.security_token_header = "x-amz-security-token";
      p.request_id_header = "x-obs-request-id";
      break;
    case Provider::kOss:
      // OSS S3-compatible endpoint: parts 100 KB..5 GB, objects up to 48.8 TB.
      p.name = "oss";
      p.min_part_size = 100 * kKiB;
      p.max_part_size = 5 * kGiB;
      p.max_part_count = 10000;
      p.max_object_size = 48800ull * 1000 * 1000 * 1000;
      p.meta_prefix = "x-amz-meta-";
      p.security_token_header = "x-amz-security-token";
      p.request_id_header = "x-oss-request-id";
      break;
  }
  return p;
}

std::optional<ProviderProfile> ProfileByName(std::string_view name) {
  if (name == "s3" || name == "aws") return ProfileFor(Provider::kS3);
  if (name == "obs" || name == "huawei") return ProfileFor(Provider::kObs);
  if (name == "oss" || name == "aliyun" || name == "alibaba") return ProfileFor(Provider::kOss);
  return std::nullopt;
}

}  // namespace partfs
