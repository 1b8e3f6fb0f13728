// AWS Signature Version 4 for request headers ("AWS4-HMAC-SHA256"): builds the
// canonical request, the string to sign, the signature and the Authorization
// header value. A pure function of its inputs (no clock, no I/O), so it is
// tested against AWS's published test-suite vectors (tests/data/sigv4/).
//
// S3 conventions: the canonical URI is the request path URI-encoded exactly
// once (transfer/uri_encoding.h) with no path normalization; the payload hash
// is the hex SHA-256 of the body or the literal "UNSIGNED-PAYLOAD".
// Thread-safe. The result's `authorization` holds the signature, never the
// secret; neither belongs in logs or Status messages.
#ifndef PARTFS_TRANSFER_SIGV4_SIGNER_H_
#define PARTFS_TRANSFER_SIGV4_SIGNER_H_

#include <string>
#include <utility>
#include <vector>

namespace partfs {

inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct SigV4Input {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // already URI-encoded path, e.g. "/bucket/my%20key"
  QueryParams query;          // decoded names and values; encoded and sorted here
  // Headers to sign (any case, repeated names are joined with ','). Must
  // include "host" and "x-amz-date"; S3 also wants "x-amz-content-sha256".
  HeaderList headers;
  std::string payload_hash;  // hex SHA-256 of the body, or kUnsignedPayload
  std::string amz_date;      // "20150830T123600Z" (same value as the x-amz-date header)
  std::string region;        // "us-east-1"
  std::string service;       // "s3"
  std::string access_key;
  std::string secret_key;
  // When non-empty it is signed as header "x-amz-security-token" (unless
  // `headers` already has it); the caller must send that header too.
  std::string session_token;
};

struct SigV4Output {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lower-case hex
  std::string signed_headers;  // "host;x-amz-date"
  std::string authorization;   // value of the Authorization header
};

SigV4Output SignV4(const SigV4Input& input);

// "a=1&b=2": names and values URI-encoded (RFC 3986, '/' encoded), sorted by
// name then value. Used both for signing and for the URL, so they match.
std::string CanonicalQueryString(const QueryParams& query);

// Trims a header value and collapses runs of spaces to one (SigV4 rule).
std::string CanonicalHeaderValue(const std::string& value);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_SIGV4_SIGNER_H_
