// Digests of part data: an incremental MD5 (OpenSSL EVP, RAII) and the MD5
// of a file range. Hex/base64 encodings live in transfer/hashing.h.
//
// Md5Hasher is thread-compatible (one owner at a time); the free functions are pure.
#ifndef PARTFS_CACHE_DIGEST_H_
#define PARTFS_CACHE_DIGEST_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace partfs {

class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  void Update(const char* data, size_t size);
  // Raw 16-byte digest of everything fed so far; the hasher stays usable.
  std::string Digest() const;
  // Starts over with no bytes.
  void Reset();

 private:
  EVP_MD_CTX* ctx_;
};

// Raw 16-byte MD5 of the first `length` bytes of the file open as `fd` (pread, no seek).
Result<std::string> Md5OfFile(int fd, uint64_t length);

}  // namespace partfs

#endif  // PARTFS_CACHE_DIGEST_H_
