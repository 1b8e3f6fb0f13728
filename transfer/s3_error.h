// Maps S3 error responses (HTTP status + the <Error> XML body) and transport
// failures to partfs Status values with remote_code and http_status set. One
// table holds the codes of AWS S3, Huawei OBS and Alibaba OSS; a condition the
// providers name differently maps to one Status code and one remote_code.
//
// Messages name the operation and the bucket/key; they never contain
// credentials, signatures, the Authorization header or the string-to-sign
// that some servers echo back in SignatureDoesNotMatch bodies.
// Pure functions, thread-safe.
#ifndef PARTFS_TRANSFER_S3_ERROR_H_
#define PARTFS_TRANSFER_S3_ERROR_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace partfs {

struct S3ErrorBody {
  std::string code;     // "NoSuchKey"
  std::string message;  // server's human-readable message
  std::string request_id;
  std::string region;    // <Region>: where the bucket is (AuthorizationHeaderMalformed)
  std::string endpoint;  // <Endpoint>: the host to use (PermanentRedirect, OSS AccessDenied)
};

// What a response's headers add to its body (a HEAD answer has no body): the
// ids of the request, for the provider's support and for matching a log line
// with server logs, and the bucket's region.
struct S3ErrorHeaders {
  std::string request_id;     // x-amz-request-id, or OBS's x-obs- / OSS's x-oss-request-id
  std::string id2;            // x-amz-id-2 (S3's extended id); "" when absent
  std::string bucket_region;  // x-amz-bucket-region: where the bucket is
};

// Reads S3ErrorHeaders from lower-case header names (HttpResponse::headers);
// `preferred_request_id_header` (the profile's) is tried first when given.
S3ErrorHeaders S3ErrorHeadersFrom(const std::map<std::string, std::string>& headers,
                                  std::string_view preferred_request_id_header = "");

// Parses an <Error> document; nullopt when `xml` is not one (empty, not XML,
// or another root element, e.g. a successful CompleteMultipartUploadResult).
std::optional<S3ErrorBody> ParseS3ErrorBody(std::string_view xml);

// Builds the Status for a non-2xx response, or for a 2xx whose body is an
// <Error> (Complete/Copy/UploadPartCopy). `operation` is e.g. "UploadPart",
// `resource` e.g. "s3://bucket/key". Bodiless responses (HEAD) fall back on
// the HTTP status: 404 -> NotFound with `default_404_code` ("NoSuchKey" or
// "NoSuchBucket"), 403 -> PermissionDenied, 301 -> WrongRegion; `headers` fill
// in the request ID and the bucket's region a body does not give. The message
// ends with " [request id ID]" (and ", id-2 ID2").
Status MapS3Error(std::string_view operation, std::string_view resource, int http_status,
                  std::string_view body, std::string_view default_404_code = "NoSuchKey",
                  const S3ErrorHeaders& headers = {});

// Ceph RGW's answer to a CompleteMultipartUpload of an unknown or already
// completed upload: 500 InternalError "This multipart completion is already in
// progress". Retrying it is futile (RetryPolicy does not).
bool IsCompletionInProgress(const Status& status);

// ListParts of an unknown, completed or aborted upload is 404 NoSuchKey on
// RGW (NoSuchUpload on AWS and Swift): returns the NoSuchUpload Status for it,
// any other status unchanged. Only for ListParts, where the key is not looked up.
Status ListPartsNoSuchKeyAsNoSuchUpload(const Status& status);

// Status::Code for an S3, OBS or OSS error code and HTTP status (exposed for tests).
Status::Code S3ErrorCodeToStatusCode(std::string_view code, int http_status);

// The canonical (S3) name of the condition a provider's error code means:
// OSS InvalidDigest -> BadDigest, OBS AccessForbidden -> AccessDenied,
// AuthorizationHeaderMalformed/PermanentRedirect -> WrongRegion; unknown codes
// map to themselves. MapS3Error sets Status::remote_code to this name.
std::string_view S3ErrorCondition(std::string_view code);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_ERROR_H_
