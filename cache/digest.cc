#include "cache/digest.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace partfs {

Md5Hasher::Md5Hasher() : ctx_(EVP_MD_CTX_new()) { Reset(); }

Md5Hasher::~Md5Hasher() { EVP_MD_CTX_free(ctx_); }

void Md5Hasher::Update(const char* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }

std::string Md5Hasher::Digest() const {
  // Finalize a copy so more bytes can still be added to the original.
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, ctx_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, digest, &len);
  EVP_MD_CTX_free(copy);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

void Md5Hasher::Reset() { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }

Result<std::string> Md5OfFile(int fd, uint64_t length) {
  Md5Hasher hasher;
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    ssize_t n = pread(fd, buf.data(), want, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read part file for MD5");
    }
    if (n == 0) return Status::Corruption("part file shorter than expected while computing MD5");
    hasher.Update(buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  return hasher.Digest();
}

}  // namespace partfs
