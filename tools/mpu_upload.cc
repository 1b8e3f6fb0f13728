// partfs_mpu_upload: uploads one local file by multipart upload straight
// through the transfer layer, with a fixed part size and N parallel part
// uploads. It is the baseline scripts/bench.sh measures the mount against.
//
// Usage: partfs_mpu_upload ENDPOINT BUCKET KEY FILE [PART_SIZE_BYTES] [THREADS] [md5|nomd5]
// With md5 (the default) every part carries Content-MD5, as the mount's parts
// do, so both pay for the same integrity check.
// Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "transfer/hashing.h"
#include "transfer/object_store.h"
#include "transfer/s3_client.h"

namespace {

int Fail(const std::string& what, const partfs::Status& status) {
  std::fprintf(stderr, "partfs_mpu_upload: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

const char* EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(
        stderr,
        "usage: partfs_mpu_upload ENDPOINT BUCKET KEY FILE [PART_SIZE] [THREADS] [md5|nomd5]\n");
    return 2;
  }
  partfs::S3ClientOptions options;
  options.endpoint = argv[1];
  options.bucket = argv[2];
  options.access_key = EnvOr("AWS_ACCESS_KEY_ID", "");
  options.secret_key = EnvOr("AWS_SECRET_ACCESS_KEY", "");
  const std::string key = argv[3];
  const uint64_t part_size = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : (8ull << 20);
  const unsigned threads = argc > 6 ? static_cast<unsigned>(std::atoi(argv[6])) : 4;
  const bool with_md5 = argc > 7 ? std::string(argv[7]) != "nomd5" : true;
  if (part_size == 0 || threads == 0) {
    std::fprintf(stderr, "partfs_mpu_upload: part size and threads must be positive\n");
    return 2;
  }

  int fd = ::open(argv[4], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(argv[4], partfs::Status::FromErrno(errno, "open"));
  struct stat st;
  if (::fstat(fd, &st) != 0) return Fail(argv[4], partfs::Status::FromErrno(errno, "fstat"));
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  // The MD5s are computed from a read-only mapping: no extra copy of the data.
  const char* mapped = nullptr;
  if (with_md5 && size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return Fail(argv[4], partfs::Status::FromErrno(errno, "mmap"));
    mapped = static_cast<const char*>(p);
  }

  auto client = partfs::CreateS3Client(options);
  if (!client.ok()) return Fail("client", client.status());
  partfs::ObjectStore& store = **client;

  auto start = std::chrono::steady_clock::now();
  auto upload_id = store.CreateMultipartUpload(key, {});
  if (!upload_id.ok()) return Fail("CreateMultipartUpload", upload_id.status());

  const uint32_t part_count = static_cast<uint32_t>((size + part_size - 1) / part_size);
  std::vector<partfs::CompletedPart> parts(part_count);
  std::atomic<uint32_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (uint32_t i = next++; i < part_count && !failed; i = next++) {
        partfs::FileRange range{fd, i * part_size,
                                std::min<uint64_t>(part_size, size - i * part_size)};
        std::string content_md5;
        if (mapped != nullptr) {
          content_md5 = partfs::ContentMd5(std::string_view(mapped + range.offset, range.length));
        }
        auto etag = store.UploadPart(key, *upload_id, i + 1, range, content_md5);
        if (!etag.ok()) {
          Fail("UploadPart " + std::to_string(i + 1), etag.status());
          failed = true;
          return;
        }
        parts[i] = {i + 1, *etag};
      }
    });
  }
  for (auto& w : workers) w.join();
  if (failed) {
    (void)store.AbortMultipartUpload(key, *upload_id);
    return 1;
  }
  auto etag = store.CompleteMultipartUpload(key, *upload_id, parts, "");
  if (!etag.ok()) return Fail("CompleteMultipartUpload", etag.status());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("uploaded %llu bytes in %u parts%s in %.3f s: %.1f MiB/s (etag %s)\n",
              static_cast<unsigned long long>(size), part_count,
              with_md5 ? " with Content-MD5" : "", seconds, size / 1048576.0 / seconds,
              etag->c_str());
  if (mapped != nullptr) ::munmap(const_cast<char*>(mapped), size);
  ::close(fd);
  return 0;
}
