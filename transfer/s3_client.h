// S3Client: the ObjectStore implementation over the S3 HTTP API (SigV4,
// libcurl). Works with AWS S3 and S3-compatible servers (Swift s3api, Huawei
// OBS, Alibaba OSS S3-compatible endpoints) with the given provider profile.
//
// Thread-safe: one client serves all threads; connections are reused.
// Secrets in S3ClientOptions never appear in logs or Status messages.
#ifndef PARTFS_TRANSFER_S3_CLIENT_H_
#define PARTFS_TRANSFER_S3_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/logger.h"
#include "base/metrics.h"
#include "base/status.h"
#include "transfer/http_client.h"
#include "transfer/object_store.h"
#include "transfer/provider_profile.h"

namespace partfs {

struct RetryOptions {
  uint32_t max_attempts = 6;                  // including the first try
  std::chrono::milliseconds base_delay{100};  // full-jitter exponential backoff
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds max_total{60000};  // give up after this much time retrying
};

struct S3ClientOptions {
  std::string endpoint;  // "http://127.0.0.1:8080" or "https://s3.us-east-1.amazonaws.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional
  bool path_style = true;     // false: virtual-hosted (bucket.host)
  ProviderProfile profile = ProfileFor(Provider::kS3);
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is aborted.
  uint32_t low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  RetryOptions retry;
  Logger* logger = nullptr;    // may be null: no logging
  Metrics* metrics = nullptr;  // may be null: nothing counted; must outlive the client
  // Tests only: when set, each signed request goes to this function instead of
  // the network (tests/unit/transfer_request_signing_test.cc pins the exact
  // requests per provider), and requests are signed at TEST_amz_date when set.
  std::function<Result<HttpResponse>(const HttpRequest&)> TEST_transport;
  std::string TEST_amz_date;  // "20150830T123600Z"
};

// Validates options (endpoint URL, bucket name, credentials present) and builds a client.
// Makes no request.
Result<std::unique_ptr<ObjectStore>> CreateS3Client(const S3ClientOptions& options);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_CLIENT_H_
