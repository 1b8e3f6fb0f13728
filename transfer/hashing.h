// Digest helpers over OpenSSL EVP used by request signing and integrity
// headers: SHA-256, HMAC-SHA256, MD5, hex and base64. Pure functions,
// thread-safe. Digests are returned as raw bytes unless the name says Hex/Base64.
#ifndef PARTFS_TRANSFER_HASHING_H_
#define PARTFS_TRANSFER_HASHING_H_

#include <string>
#include <string_view>

namespace partfs {

std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Md5(std::string_view data);
std::string HexEncode(std::string_view bytes);  // lower-case
std::string Base64Encode(std::string_view bytes);
// The bytes of base64 `text`; "" when it is not valid base64.
std::string Base64Decode(std::string_view text);

// The Content-MD5 header value for `data`: base64 of the raw MD5.
inline std::string ContentMd5(std::string_view data) { return Base64Encode(Md5(data)); }

}  // namespace partfs

#endif  // PARTFS_TRANSFER_HASHING_H_
