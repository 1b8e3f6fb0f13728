// Helpers for the fault-injection tests (tests/fault/, ctest label `fault`):
// writing deterministic content through a mount with plain POSIX calls while
// recording exactly which bytes were accepted, reading objects directly from
// the server (never through the fault proxy), and a small tmpfs for the cache.
//
// Thread-compatible; a GeneratedWrite is used by one thread at a time, but its
// progress counters may be read from another thread.
#ifndef PARTFS_TESTS_FAULT_FAULT_SUPPORT_H_
#define PARTFS_TESTS_FAULT_FAULT_SUPPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tests/support/s3_test_server.h"
#include "transfer/object_store.h"

namespace partfs::testing {

// A client on `bucket` straight to `server` (not through any proxy); null and
// a test failure when it cannot be created.
std::unique_ptr<ObjectStore> DirectStore(const S3Endpoint& server, const std::string& bucket);

// Writes `size` bytes of the content with `key` (tests/torture/torture_model.h
// FillContent) to `path` in `chunk`-byte write() calls, then closes.
// `accepted` grows as each write() returns; the first failing call stops the
// write and is recorded. `before_write(offset)` (optional) runs before each
// write() and may block (the test uses it to pace phases).
struct GeneratedWrite {
  uint64_t key = 0;
  uint64_t size = 0;
  uint64_t chunk = 1 << 20;
  std::function<void(uint64_t offset)> before_write;

  std::atomic<uint64_t> accepted{0};
  int write_errno = 0;   // errno of the failed write(), 0 when all were accepted
  int close_errno = -1;  // -1: not closed yet; 0: close() returned 0
  int open_errno = 0;
  std::chrono::steady_clock::time_point close_returned;  // when close() returned

  void Run(const std::string& path);
};

// The last `lines` lines of `log` (a mount's log), for failure messages.
std::string LogTail(const std::string& log, size_t lines = 40);

// SHA-256 (hex) of the first `len` bytes of the content with `key`.
std::string GeneratedSha256(uint64_t key, uint64_t len);

// Compares object `key` on `store` with the first `len` bytes of the content
// `content_key`; "" when equal, else what differs (size, first differing offset).
std::string CompareObject(ObjectStore& store, const std::string& key, uint64_t content_key,
                          uint64_t len);

// A tmpfs of `size_mib` MiB mounted on `dir` (created 0700) for the object's
// lifetime; unmounted (lazily if busy) by the destructor.
class TmpfsDir {
 public:
  TmpfsDir(const std::string& dir, int size_mib);
  ~TmpfsDir();
  TmpfsDir(const TmpfsDir&) = delete;
  TmpfsDir& operator=(const TmpfsDir&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Bytes free for an unprivileged file (statvfs f_bavail * f_frsize).
  uint64_t FreeBytes() const;
  // Bytes used (f_blocks - f_bfree).
  uint64_t UsedBytes() const;

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_FAULT_FAULT_SUPPORT_H_
