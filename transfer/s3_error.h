// Maps S3 error responses (HTTP status + the <Error> XML body) and transport
// failures to partfs Status values with remote_code and http_status set.
//
// Messages name the operation and the bucket/key; they never contain
// credentials, signatures, the Authorization header or the string-to-sign
// that some servers echo back in SignatureDoesNotMatch bodies.
// Pure functions, thread-safe.
#ifndef PARTFS_TRANSFER_S3_ERROR_H_
#define PARTFS_TRANSFER_S3_ERROR_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace partfs {

struct S3ErrorBody {
  std::string code;     // "NoSuchKey"
  std::string message;  // server's human-readable message
  std::string request_id;
};

// Parses an <Error> document; nullopt when `xml` is not one (empty, not XML,
// or another root element, e.g. a successful CompleteMultipartUploadResult).
std::optional<S3ErrorBody> ParseS3ErrorBody(std::string_view xml);

// Builds the Status for a non-2xx response, or for a 2xx whose body is an
// <Error> (Complete/Copy/UploadPartCopy). `operation` is e.g. "UploadPart",
// `resource` e.g. "s3://bucket/key". Bodiless responses (HEAD) fall back on
// the HTTP status: 404 -> NotFound with `default_404_code` ("NoSuchKey" or
// "NoSuchBucket"), 403 -> PermissionDenied.
Status MapS3Error(std::string_view operation, std::string_view resource, int http_status,
                  std::string_view body, std::string_view default_404_code = "NoSuchKey");

// Ceph RGW's answer to a CompleteMultipartUpload of an unknown or already
// completed upload: 500 InternalError "This multipart completion is already in
// progress". Retrying it is futile (RetryPolicy does not).
bool IsCompletionInProgress(const Status& status);

// ListParts of an unknown, completed or aborted upload is 404 NoSuchKey on
// RGW (NoSuchUpload on AWS and Swift): returns the NoSuchUpload Status for it,
// any other status unchanged. Only for ListParts, where the key is not looked up.
Status ListPartsNoSuchKeyAsNoSuchUpload(const Status& status);

// Status::Code for an S3 error code and HTTP status (exposed for tests).
Status::Code S3ErrorCodeToStatusCode(std::string_view code, int http_status);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_ERROR_H_
