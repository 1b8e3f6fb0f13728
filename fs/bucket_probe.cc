#include "fs/bucket_probe.h"

#include <unistd.h>

#include <ctime>

namespace partfs {

namespace {

bool IsOneOf(const std::string& code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

std::string DescribeBucketFailure(const MountConfig& config, const Status& status) {
  const std::string& url = config.endpoint;
  const std::string bucket = "bucket '" + config.bucket + "'";
  const std::string& code = status.remote_code();
  if (status.http_status() == 0 && status.IsUnavailable()) {
    if (status.message().find("TLS failure") != std::string::npos) {
      return "TLS failure talking to " + url + ": " + status.message();
    }
    return "cannot reach endpoint " + url + ": " + status.message();
  }
  if (IsOneOf(code, {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken",
                     "TokenRefreshRequired"})) {
    return "credentials rejected by " + url + " (" + code + "): check the access key and secret";
  }
  // transfer/s3_error.cc maps every provider's wrong-region answer to WrongRegion.
  if (code == "WrongRegion" || status.http_status() == 301) {
    return bucket + " is not in region " + config.region + " at " + url + ": " + status.message();
  }
  if (code == "NoSuchBucket") return bucket + " does not exist at " + url + " (NoSuchBucket)";
  if (status.code() == Status::Code::kPermissionDenied) {
    return "access to " + bucket + " denied at " + url +
           " (the credentials are wrong or lack permission): " + status.message();
  }
  return "cannot access " + bucket + " at " + url + ": " + status.ToString();
}

Status ProbeBucketAccess(const MountConfig& config, ObjectStore* store) {
  auto page = store->ListObjects(config.prefix, "/", "", 1);
  if (page.ok()) return Status::OK();
  return Status::Remote(page.status().code(), page.status().http_status(),
                        page.status().remote_code(), DescribeBucketFailure(config, page.status()));
}

namespace {
// A name no file has, unique per process and second.
std::string ProbeKey(const MountConfig& config, const std::string& what) {
  return config.prefix + ".partfs-check-" + what + std::to_string(::getpid()) + "-" +
         std::to_string(std::time(nullptr));
}
}  // namespace

Result<bool> ProbeConditionalCreate(const MountConfig& config, ObjectStore* store) {
  const std::string key = ProbeKey(config, "if-absent-");
  auto first = store->PutObjectFromStringIfAbsent(key, "", {});
  if (!first.ok()) return first.status().WithContext("conditional create probe");
  // Other bytes: a refusal of the same bytes counts as our own retried write.
  auto second = store->PutObjectFromStringIfAbsent(key, "x", {});
  Status deleted = store->DeleteObject(key);
  if (!deleted.ok()) return deleted.WithContext("deleting the probe object " + key);
  if (second.ok()) return false;
  if (second.status().code() == Status::Code::kAlreadyExists) return true;
  return second.status().WithContext("conditional create probe");
}

Status ProbeMultipartUpload(const MountConfig& config, ObjectStore* store) {
  const std::string key = ProbeKey(config, "multipart-");
  auto upload = store->CreateMultipartUpload(key, {});
  if (!upload.ok()) {
    return Status::Remote(upload.status().code(), upload.status().http_status(),
                          upload.status().remote_code(),
                          "multipart uploads are not allowed in bucket '" + config.bucket +
                              "': " + upload.status().message());
  }
  Status aborted = store->AbortMultipartUpload(key, *upload);
  if (!aborted.ok()) {
    return Status::IOError("cannot abort the probe upload of " + key +
                           " (partfs gc removes it): " + aborted.message());
  }
  return Status::OK();
}

}  // namespace partfs
