// URI encoding for S3 requests (RFC 3986): unreserved characters
// (A-Z a-z 0-9 - _ . ~) are kept, every other byte becomes %XX with upper-case
// hex. Object keys are encoded exactly once; S3 does no path normalization, so
// "a//b" and "a/./b" are distinct keys and are sent as they are.
// Pure functions, thread-safe.
#ifndef PARTFS_TRANSFER_URI_ENCODING_H_
#define PARTFS_TRANSFER_URI_ENCODING_H_

#include <string>
#include <string_view>

namespace partfs {

// Encodes every byte except the unreserved set; with `keep_slash`, '/' is kept too.
std::string UriEncode(std::string_view s, bool keep_slash);

// Encodes an object key for a URL path: '/' kept, everything else as UriEncode.
inline std::string EncodeKeyPath(std::string_view key) { return UriEncode(key, true); }

// Decodes %XX sequences (invalid sequences are kept as they are). '+' stays
// '+' unless `plus_as_space` (form encoding, which AWS uses for
// ListObjectsV2 with encoding-type=url).
std::string UriDecode(std::string_view s, bool plus_as_space = false);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_URI_ENCODING_H_
