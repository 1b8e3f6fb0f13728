#include "transfer/s3_error.h"

#include <pugixml.hpp>

#include "transfer/endpoint_profile.h"

namespace partfs {

namespace {

using C = Status::Code;

// One error code a provider returns, the condition it means and its Status.
// AWS S3, Huawei OBS and Alibaba OSS name some conditions differently; each
// condition has one canonical (S3) name, which becomes Status::remote_code so
// callers test one name whatever the provider.
struct ErrorCodeEntry {
  std::string_view code;       // as the server sends it
  std::string_view condition;  // canonical S3 name
  Status::Code status;
};

constexpr ErrorCodeEntry kErrorCodes[] = {
    // Missing things: the three providers use the S3 names.
    {"NoSuchKey", "NoSuchKey", C::kNotFound},
    {"NoSuchBucket", "NoSuchBucket", C::kNotFound},
    {"NoSuchUpload", "NoSuchUpload", C::kNotFound},
    {"NoSuchVersion", "NoSuchVersion", C::kNotFound},
    // Credentials rejected or access refused.
    {"AccessDenied", "AccessDenied", C::kPermissionDenied},
    {"AccessForbidden", "AccessDenied", C::kPermissionDenied},  // OBS
    {"AllAccessDisabled", "AccessDenied", C::kPermissionDenied},
    {"AccountProblem", "AccessDenied", C::kPermissionDenied},  // OBS: account frozen/expired
    {"SignatureDoesNotMatch", "SignatureDoesNotMatch", C::kPermissionDenied},
    {"InvalidAccessKeyId", "InvalidAccessKeyId", C::kPermissionDenied},
    {"InvalidToken", "InvalidToken", C::kPermissionDenied},
    {"ExpiredToken", "ExpiredToken", C::kPermissionDenied},
    {"InvalidSecurity", "InvalidToken", C::kPermissionDenied},       // OBS
    {"SecurityTokenExpired", "ExpiredToken", C::kPermissionDenied},  // OSS
    {"InvalidSecurityToken", "InvalidToken", C::kPermissionDenied},  // OSS
    // Data that does not match its Content-MD5.
    {"BadDigest", "BadDigest", C::kCorruption},      // S3, OBS
    {"InvalidDigest", "BadDigest", C::kCorruption},  // OSS
    // Multipart rules.
    {"EntityTooSmall", "EntityTooSmall", C::kInvalidArgument},
    {"InvalidPart", "InvalidPart", C::kInvalidArgument},
    {"InvalidPartOrder", "InvalidPartOrder", C::kInvalidArgument},
    {"EntityTooLarge", "EntityTooLarge", C::kTooLarge},
    // The bucket lives in another region or behind another endpoint.
    {"AuthorizationHeaderMalformed", "WrongRegion", C::kInvalidArgument},
    {"PermanentRedirect", "WrongRegion", C::kInvalidArgument},
    {"IllegalLocationConstraintException", "WrongRegion", C::kInvalidArgument},
    {"IncorrectEndpoint", "WrongRegion", C::kInvalidArgument},
    // Buckets.
    {"BucketAlreadyOwnedByYou", "BucketAlreadyOwnedByYou", C::kAlreadyExists},
    {"BucketAlreadyExists", "BucketAlreadyExists", C::kAlreadyExists},
    {"BucketNotEmpty", "BucketNotEmpty", C::kBusy},
    {"NotImplemented", "NotImplemented", C::kNotSupported},
    // Transient: retried.
    {"SlowDown", "SlowDown", C::kUnavailable},
    {"RequestTimeout", "RequestTimeout", C::kUnavailable},
    {"InternalError", "InternalError", C::kUnavailable},
    {"ServiceUnavailable", "ServiceUnavailable", C::kUnavailable},
    {"RequestTimeTooSkewed_Retry", "RequestTimeTooSkewed_Retry", C::kUnavailable},
    {"OperationAborted", "OperationAborted", C::kUnavailable},
    {"Throttling", "SlowDown", C::kUnavailable},
    {"ThrottlingException", "SlowDown", C::kUnavailable},
    {"RequestLimitExceeded", "SlowDown", C::kUnavailable},
};

const ErrorCodeEntry* FindErrorCode(std::string_view code) {
  for (const ErrorCodeEntry& entry : kErrorCodes) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

// OSS answers a request sent to the wrong region's endpoint with AccessDenied
// and the right <Endpoint>; that is the wrong-region condition, not a refusal.
std::string_view Condition(const S3ErrorBody& err) {
  const ErrorCodeEntry* entry = FindErrorCode(err.code);
  if (entry == nullptr) return err.code;
  if (entry->condition == "AccessDenied" && !err.endpoint.empty()) return "WrongRegion";
  return entry->condition;
}

// A sentence explaining what the error means for the user, when the server's
// message alone is not clear enough.
std::string Explanation(std::string_view condition, Status::Code status_code,
                        const S3ErrorBody& err) {
  if (condition == "SignatureDoesNotMatch" || condition == "InvalidAccessKeyId" ||
      condition == "InvalidToken" || condition == "ExpiredToken") {
    return "the server rejected the credentials (check the access key and secret key)";
  }
  if (condition == "AccessDenied") {
    return "access denied: the credentials were rejected or lack permission for this bucket";
  }
  if (condition == "WrongRegion") {
    // <Endpoint> is the bucket's host (bucket.s3.eu-west-1.amazonaws.com,
    // oss-cn-shanghai.aliyuncs.com): its region is what to use.
    std::string region = err.region;
    if (region.empty() && !err.endpoint.empty()) {
      region = RegionFromHost(EndpointHost(err.endpoint)).value_or("");
    }
    if (!region.empty()) {
      return "the bucket is in region " + region + ": use -o region=" + region +
             " (and that region's endpoint if -o endpoint is given)";
    }
    if (!err.endpoint.empty()) return "the bucket must be addressed through " + err.endpoint;
    return "the bucket is in another region: set -o region or -o endpoint";
  }
  if (condition == "EntityTooSmall") {
    return "a part other than the last is smaller than the provider's minimum part size";
  }
  if (condition == "InvalidPart") return "a listed part was not found or its ETag does not match";
  if (condition == "InvalidPartOrder") return "the part list is not in ascending part-number order";
  if (condition == "EntityTooLarge") return "the object or part is larger than the server allows";
  if (condition == "NoSuchBucket") return "the bucket does not exist";
  if (condition == "NoSuchUpload")
    return "the multipart upload does not exist (completed or aborted)";
  if (condition == "BadDigest") return "the Content-MD5 does not match the data received";
  if (status_code == Status::Code::kUnavailable) return "the server is unavailable or overloaded";
  return "";
}
}  // namespace

std::optional<S3ErrorBody> ParseS3ErrorBody(std::string_view xml) {
  if (xml.empty()) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return std::nullopt;
  pugi::xml_node root = doc.child("Error");
  if (!root) return std::nullopt;
  S3ErrorBody body;
  body.code = root.child_value("Code");
  body.message = root.child_value("Message");
  body.request_id = root.child_value("RequestId");
  body.region = root.child_value("Region");
  body.endpoint = root.child_value("Endpoint");
  return body;
}

std::string_view S3ErrorCondition(std::string_view code) {
  const ErrorCodeEntry* entry = FindErrorCode(code);
  return entry == nullptr ? code : entry->condition;
}

Status::Code S3ErrorCodeToStatusCode(std::string_view code, int http_status) {
  if (const ErrorCodeEntry* entry = FindErrorCode(code)) return entry->status;
  if (http_status >= 500 || http_status == 429 || http_status == 408) return C::kUnavailable;
  if (http_status == 404) return C::kNotFound;
  if (http_status == 403 || http_status == 401) return C::kPermissionDenied;
  if (http_status == 409) return C::kAlreadyExists;
  if (http_status == 412) return C::kInvalidArgument;
  if (http_status == 301) return C::kInvalidArgument;  // a redirect partfs does not follow
  if (http_status >= 400) return C::kInvalidArgument;
  return C::kIOError;  // a 2xx/3xx carrying an <Error> we do not know
}

namespace {
// Swift names the bucket's region only in its message: "the region
// 'eu-west-1' is wrong; expecting 'us-east-1'". "" when there is none.
std::string RegionInMessage(const std::string& message) {
  constexpr std::string_view kExpecting = "is wrong; expecting '";
  size_t start = message.find(kExpecting);
  if (start == std::string::npos) return "";
  start += kExpecting.size();
  size_t end = message.find('\'', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}
}  // namespace

S3ErrorHeaders S3ErrorHeadersFrom(const std::map<std::string, std::string>& headers,
                                  std::string_view preferred_request_id_header) {
  S3ErrorHeaders ids;
  auto value = [&](std::string_view name) -> std::string {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? "" : it->second;
  };
  if (!preferred_request_id_header.empty()) ids.request_id = value(preferred_request_id_header);
  for (const char* name : {"x-amz-request-id", "x-obs-request-id", "x-oss-request-id"}) {
    if (ids.request_id.empty()) ids.request_id = value(name);
  }
  ids.id2 = value("x-amz-id-2");
  ids.bucket_region = value("x-amz-bucket-region");
  return ids;
}

Status MapS3Error(std::string_view operation, std::string_view resource, int http_status,
                  std::string_view body, std::string_view default_404_code,
                  const S3ErrorHeaders& headers) {
  S3ErrorBody err;
  if (auto parsed = ParseS3ErrorBody(body)) err = std::move(*parsed);
  if (err.request_id.empty()) err.request_id = headers.request_id;
  if (err.region.empty()) err.region = headers.bucket_region;
  if (err.region.empty()) err.region = RegionInMessage(err.message);
  if (err.code.empty()) {
    if (http_status == 404) {
      err.code = std::string(default_404_code);
    } else if (http_status == 301) {
      err.code = "PermanentRedirect";
    } else if (http_status == 403) {
      err.code = "AccessDenied";
    } else if (http_status == 503) {
      err.code = "ServiceUnavailable";
    } else {
      err.code = "HTTP" + std::to_string(http_status);
    }
  }
  const std::string condition(Condition(err));
  const Status::Code code = condition == "WrongRegion"
                                ? C::kInvalidArgument
                                : S3ErrorCodeToStatusCode(err.code, http_status);
  // The provider's own code stays in the message when it differs from the condition's.
  std::string msg = std::string(operation) + " " + std::string(resource) + ": " + condition + " (" +
                    (condition == err.code ? "" : err.code + ", ") + "HTTP " +
                    std::to_string(http_status) + ")";
  const std::string why = Explanation(condition, code, err);
  if (!why.empty()) msg += ": " + why;
  // The server's message is safe to show (it never holds the secret); the
  // StringToSign/CanonicalRequest/SignatureProvided elements are never read.
  if (!err.message.empty()) msg += "; server says: " + err.message;
  if (!err.request_id.empty()) {
    msg += " [request id " + err.request_id;
    if (!headers.id2.empty()) msg += ", id-2 " + headers.id2;
    msg += "]";
  }
  return Status::Remote(code, http_status, condition, std::move(msg));
}

bool IsCompletionInProgress(const Status& status) {
  return status.http_status() == 500 && status.remote_code() == "InternalError" &&
         status.message().find("multipart completion is already in progress") != std::string::npos;
}

Status ListPartsNoSuchKeyAsNoSuchUpload(const Status& status) {
  if (status.remote_code() != "NoSuchKey") return status;
  return Status::Remote(Status::Code::kNotFound, status.http_status(), "NoSuchUpload",
                        status.message() + " (NoSuchKey from ListParts: the upload is gone)");
}

}  // namespace partfs
