#include "tests/fault/fault_support.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/run_command.h"
#include "tests/torture/torture_model.h"
#include "transfer/hashing.h"
#include "transfer/s3_client.h"

namespace partfs::testing {

using namespace std::chrono_literals;

std::unique_ptr<ObjectStore> DirectStore(const S3Endpoint& server, const std::string& bucket) {
  auto client = CreateS3Client(ClientOptions(server, bucket));
  if (!client.ok()) {
    ADD_FAILURE() << "direct client: " << client.status().ToString();
    return nullptr;
  }
  return std::move(*client);
}

void GeneratedWrite::Run(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    open_errno = errno;
    return;
  }
  std::vector<char> buf(chunk);
  uint64_t offset = 0;
  while (offset < size) {
    if (before_write) before_write(offset);
    const uint64_t n = std::min<uint64_t>(chunk, size - offset);
    FillContent(key, offset, buf.data(), n);
    const ssize_t written = write(fd, buf.data(), n);
    if (written <= 0) {
      write_errno = written < 0 ? errno : EIO;
      break;
    }
    offset += static_cast<uint64_t>(written);
    accepted = offset;
  }
  close_errno = close(fd) == 0 ? 0 : errno;
  close_returned = std::chrono::steady_clock::now();
}

std::string LogTail(const std::string& log, size_t lines) {
  size_t pos = log.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) return log;
  }
  return "...\n" + log.substr(pos + 1);
}

std::string GeneratedSha256(uint64_t key, uint64_t len) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (uint64_t offset = 0; offset < len;) {
    const uint64_t n = std::min<uint64_t>(buf.size(), len - offset);
    FillContent(key, offset, buf.data(), n);
    EVP_DigestUpdate(ctx, buf.data(), n);
    offset += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  EVP_MD_CTX_free(ctx);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string CompareObject(ObjectStore& store, const std::string& key, uint64_t content_key,
                          uint64_t len) {
  auto info = store.HeadObject(key);
  if (!info.ok()) return key + ": " + info.status().ToString();
  if (info->size != len) {
    return key + ": " + std::to_string(info->size) + " bytes, expected " + std::to_string(len);
  }
  constexpr uint64_t kChunk = 16 << 20;
  std::vector<char> got(std::min(kChunk, std::max<uint64_t>(len, 1)));
  std::vector<char> want(got.size());
  for (uint64_t offset = 0; offset < len;) {
    const uint64_t n = std::min<uint64_t>(got.size(), len - offset);
    auto read = store.GetObject(key, offset, n, got.data());
    if (!read.ok())
      return key + ": GET at " + std::to_string(offset) + ": " + read.status().ToString();
    if (*read != n) return key + ": short GET at " + std::to_string(offset);
    FillContent(content_key, offset, want.data(), n);
    if (std::memcmp(got.data(), want.data(), n) != 0) {
      uint64_t i = 0;
      while (got[i] == want[i]) ++i;
      return key + ": bytes differ from offset " + std::to_string(offset + i);
    }
    offset += n;
  }
  return "";
}

TmpfsDir::TmpfsDir(const std::string& dir, int size_mib) : dir_(dir) {
  mkdir(dir_.c_str(), 0700);
  auto r = RunCommand("mount -t tmpfs -o size=" + std::to_string(size_mib) + "m,mode=0700 tmpfs " +
                          ShellQuote(dir_) + " 2>&1",
                      30s);
  mounted_ = r.exit_code == 0;
  error_ = r.output;
}

TmpfsDir::~TmpfsDir() {
  if (mounted_) {
    RunCommand("umount " + ShellQuote(dir_) + " || umount -l " + ShellQuote(dir_), 30s);
  }
}

uint64_t TmpfsDir::FreeBytes() const {
  struct statvfs st {};
  if (statvfs(dir_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint64_t TmpfsDir::UsedBytes() const {
  struct statvfs st {};
  if (statvfs(dir_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
}

}  // namespace partfs::testing
