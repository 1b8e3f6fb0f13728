#include "tests/support/test_data.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "transfer/hashing.h"

namespace partfs::testing {

std::string TestBytes(uint64_t size, uint32_t seed) {
  std::string data(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (uint64_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = static_cast<char>(x);
  }
  return data;
}

std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(PARTFS_SOURCE_DIR) + "/tests/data/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

void WriteBytesToFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

Result<std::string> UploadPartBytes(ObjectStore& store, const std::string& key,
                                    const std::string& upload_id, uint32_t n,
                                    const std::string& bytes, const std::string& scratch_path) {
  WriteBytesToFile(scratch_path, bytes);
  int fd = ::open(scratch_path.c_str(), O_RDONLY);
  if (fd < 0) return Status::FromErrno(errno, scratch_path);
  auto etag =
      store.UploadPart(key, upload_id, n, FileRange{fd, 0, bytes.size()}, ContentMd5(bytes));
  ::close(fd);
  ::unlink(scratch_path.c_str());
  return etag;
}

}  // namespace partfs::testing
