#include "transfer/s3_error.h"

#include <pugixml.hpp>

namespace partfs {

namespace {
bool IsOneOf(std::string_view code, std::initializer_list<std::string_view> list) {
  for (auto c : list) {
    if (code == c) return true;
  }
  return false;
}

// A sentence explaining what the error means for the user, when the server's
// message alone is not clear enough.
std::string Explanation(std::string_view code, Status::Code status_code) {
  if (IsOneOf(code, {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken",
                     "InvalidSecurity"})) {
    return "the server rejected the credentials (check the access key and secret key)";
  }
  if (code == "AccessDenied") {
    return "access denied: the credentials were rejected or lack permission for this bucket";
  }
  if (code == "EntityTooSmall") {
    return "a part other than the last is smaller than the provider's minimum part size";
  }
  if (code == "InvalidPart") return "a listed part was not found or its ETag does not match";
  if (code == "InvalidPartOrder") return "the part list is not in ascending part-number order";
  if (code == "EntityTooLarge") return "the object or part is larger than the server allows";
  if (code == "NoSuchBucket") return "the bucket does not exist";
  if (code == "NoSuchUpload") return "the multipart upload does not exist (completed or aborted)";
  if (code == "BadDigest" || code == "InvalidDigest") {
    return "the Content-MD5 does not match the data received";
  }
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
  return body;
}

Status::Code S3ErrorCodeToStatusCode(std::string_view code, int http_status) {
  using C = Status::Code;
  if (IsOneOf(code, {"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                     "RequestTimeTooSkewed_Retry", "OperationAborted", "Throttling",
                     "ThrottlingException", "RequestLimitExceeded"})) {
    return C::kUnavailable;
  }
  if (IsOneOf(code, {"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NoSuchVersion"})) {
    return C::kNotFound;
  }
  if (IsOneOf(code, {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken",
                     "ExpiredToken", "AllAccessDisabled", "InvalidSecurity"})) {
    return C::kPermissionDenied;
  }
  if (code == "EntityTooLarge") return C::kTooLarge;
  if (IsOneOf(code, {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})) {
    return C::kAlreadyExists;
  }
  if (code == "BadDigest" || code == "InvalidDigest") return C::kCorruption;
  if (code == "NotImplemented") return C::kNotSupported;
  if (code == "BucketNotEmpty") return C::kBusy;
  if (http_status >= 500 || http_status == 429 || http_status == 408) return C::kUnavailable;
  if (http_status == 404) return C::kNotFound;
  if (http_status == 403 || http_status == 401) return C::kPermissionDenied;
  if (http_status == 409) return C::kAlreadyExists;
  if (http_status == 412) return C::kInvalidArgument;
  if (http_status >= 400) return C::kInvalidArgument;
  return C::kIOError;  // a 2xx/3xx carrying an <Error> we do not know
}

Status MapS3Error(std::string_view operation, std::string_view resource, int http_status,
                  std::string_view body, std::string_view default_404_code) {
  S3ErrorBody err;
  if (auto parsed = ParseS3ErrorBody(body)) err = std::move(*parsed);
  if (err.code.empty()) {
    if (http_status == 404) {
      err.code = std::string(default_404_code);
    } else if (http_status == 403) {
      err.code = "AccessDenied";
    } else if (http_status == 503) {
      err.code = "ServiceUnavailable";
    } else {
      err.code = "HTTP" + std::to_string(http_status);
    }
  }
  const Status::Code code = S3ErrorCodeToStatusCode(err.code, http_status);
  std::string msg = std::string(operation) + " " + std::string(resource) + ": " + err.code +
                    " (HTTP " + std::to_string(http_status) + ")";
  const std::string why = Explanation(err.code, code);
  if (!why.empty()) msg += ": " + why;
  // The server's message is safe to show (it never holds the secret); the
  // StringToSign/CanonicalRequest/SignatureProvided elements are never read.
  if (!err.message.empty()) msg += "; server says: " + err.message;
  if (!err.request_id.empty()) msg += " [request id " + err.request_id + "]";
  return Status::Remote(code, http_status, err.code, std::move(msg));
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
