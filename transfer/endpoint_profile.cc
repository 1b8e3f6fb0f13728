#include "transfer/endpoint_profile.h"

#include <cctype>
#include <vector>

namespace partfs {

namespace {

std::vector<std::string> SplitLabels(std::string_view host) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    labels.emplace_back(host.substr(start, dot - start));
    start = dot + 1;
  }
  return labels;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool IsAwsHost(std::string_view host) {
  return EndsWith(host, ".amazonaws.com") || EndsWith(host, ".amazonaws.com.cn");
}

bool IsObsHost(std::string_view host) {
  return (EndsWith(host, ".myhuaweicloud.com") || EndsWith(host, ".myhuaweicloud.eu")) &&
         (StartsWith(host, "obs.") || host.find(".obs.") != std::string_view::npos);
}

bool IsOssHost(std::string_view host) {
  return EndsWith(host, ".aliyuncs.com") &&
         (StartsWith(host, "oss-") || host.find(".oss-") != std::string_view::npos);
}

// s3.REGION, s3.dualstack.REGION, s3-REGION (legacy), bare s3 (us-east-1).
std::optional<std::string> AwsRegion(const std::vector<std::string>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& label = labels[i];
    if (label != "s3" && !StartsWith(label, "s3-")) continue;
    for (size_t j = i + 1; j < labels.size(); ++j) {
      if (labels[j] == "dualstack") continue;
      if (labels[j] == "amazonaws") break;
      return labels[j];
    }
    if (StartsWith(label, "s3-") && label != "s3-external-1" && label != "s3-fips") {
      return label.substr(3);
    }
    return std::string(kDefaultRegion);
  }
  return std::nullopt;
}

// obs.REGION.myhuaweicloud.com
std::optional<std::string> ObsRegion(const std::vector<std::string>& labels) {
  for (size_t i = 0; i + 2 < labels.size(); ++i) {
    if (labels[i] == "obs" && labels[i + 2] == "myhuaweicloud") return labels[i + 1];
  }
  return std::nullopt;
}

// oss-REGION.aliyuncs.com, oss-REGION-internal.aliyuncs.com
std::optional<std::string> OssRegion(const std::vector<std::string>& labels) {
  constexpr std::string_view kInternal = "-internal";
  for (const std::string& label : labels) {
    if (!StartsWith(label, "oss-")) continue;
    std::string region = label.substr(4);
    if (EndsWith(region, kInternal)) region.resize(region.size() - kInternal.size());
    if (!region.empty()) return region;
  }
  return std::nullopt;
}

}  // namespace

std::string EndpointHost(std::string_view endpoint) {
  size_t scheme = endpoint.find("://");
  std::string_view rest = scheme == std::string_view::npos ? endpoint : endpoint.substr(scheme + 3);
  std::string_view host = rest.substr(0, rest.find('/'));
  if (!host.empty() && host.front() == '[') {  // IPv6 literal: keep the brackets' content
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::optional<Provider> ProviderFromHost(std::string_view host) {
  if (IsAwsHost(host)) return Provider::kS3;
  if (IsObsHost(host)) return Provider::kObs;
  if (IsOssHost(host)) return Provider::kOss;
  return std::nullopt;
}

std::optional<std::string> RegionFromHost(std::string_view host) {
  const std::vector<std::string> labels = SplitLabels(host);
  if (IsAwsHost(host)) return AwsRegion(labels);
  if (IsObsHost(host)) return ObsRegion(labels);
  if (IsOssHost(host)) return OssRegion(labels);
  return std::nullopt;
}

std::string ProviderEndpoint(Provider provider, std::string_view region) {
  switch (provider) {
    case Provider::kObs:
      return "https://obs." + std::string(region) + ".myhuaweicloud.com";
    case Provider::kOss:
      // OSS's S3-compatible endpoint (Alibaba's "access OSS using AWS SDKs" guide).
      return "https://s3.oss-" + std::string(region) + ".aliyuncs.com";
    case Provider::kS3:
      break;
  }
  return "https://s3." + std::string(region) + ".amazonaws.com";
}

Result<ResolvedEndpoint> ResolveEndpoint(const EndpointRequest& request) {
  ResolvedEndpoint out;
  const std::string host = request.endpoint ? EndpointHost(*request.endpoint) : "";
  const std::optional<Provider> host_provider = ProviderFromHost(host);
  if (request.provider) {
    auto profile = ProfileByName(*request.provider);
    if (!profile) {
      return Status::InvalidArgument("unknown provider '" + *request.provider +
                                     "' (expected s3, obs or oss)");
    }
    out.profile = *profile;
  } else {
    out.profile = ProfileFor(host_provider.value_or(Provider::kS3));
  }
  std::optional<std::string> host_region = RegionFromHost(host);
  if (request.region) {
    out.region = *request.region;
  } else if (host_region) {
    out.region = *host_region;
  } else {
    out.region = request.fallback_region.value_or(kDefaultRegion);
  }
  if (request.endpoint) {
    out.endpoint = *request.endpoint;
    while (out.endpoint.size() > 1 && out.endpoint.back() == '/') out.endpoint.pop_back();
    out.path_style = request.path_style.value_or(!host_provider.has_value());
  } else {
    out.endpoint = ProviderEndpoint(out.profile.provider, out.region);
    out.path_style = request.path_style.value_or(false);
  }
  return out;
}

}  // namespace partfs
