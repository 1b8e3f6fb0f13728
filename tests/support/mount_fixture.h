// Mount: a real partfs mount for fuse tests. RAII owner of a partfs child
// process (started in the foreground with -f), its mount point, its cache
// directory and (by default) a fresh bucket on SharedS3Server().
//
// Start() launches PARTFS_BINARY and waits (bounded) until the mount appears in
// /proc/self/mountinfo. The destructor unmounts (fusermount3 -u, then umount -l),
// waits for the child with a timeout and SIGKILLs it if needed. Kill9() and
// Remount() (same cache dir and options) serve crash tests.
//
// Not thread-safe: one owner thread. Every path lives under a TempDir.
#ifndef PARTFS_TESTS_SUPPORT_MOUNT_FIXTURE_H_
#define PARTFS_TESTS_SUPPORT_MOUNT_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "transfer/object_store.h"

namespace partfs::testing {

// The partfs binary tests run: $PARTFS_TEST_BINARY when set (e.g. a TSan
// build of the daemon under the ordinary test binaries), else this build's.
std::string PartfsBinary();

struct MountSpec {
  std::optional<S3Endpoint> endpoint;      // default: SharedS3Server()
  std::string bucket;                      // default: a new unique bucket (created)
  bool create_bucket = true;               // false: use `bucket` as it is (may not exist)
  std::string prefix;                      // "" or "/dir": mounts BUCKET:/dir
  std::vector<std::string> options;        // extra -o items, e.g. "part_size=16M"
  std::string cache_dir;                   // default: a directory in the Mount's TempDir
  std::map<std::string, std::string> env;  // overrides (e.g. a wrong AWS_SECRET_ACCESS_KEY)
};

class Mount {
 public:
  explicit Mount(MountSpec spec = {});
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // Launches partfs and waits up to `timeout` for the mount.
  Status Start(std::chrono::seconds timeout = std::chrono::seconds(20));
  // Clean unmount; waits for the child to exit (it finishes uploads first).
  Status Unmount(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGKILLs partfs (a crash) and detaches the dead mount.
  void Kill9();
  // Starts partfs again on the same mount point, cache dir and options.
  Status Remount() { return Start(); }

  bool mounted() const { return child_ > 0; }
  pid_t pid() const { return child_; }  // the partfs process, -1 when not running
  // Waits for partfs to exit by itself (e.g. after SIGTERM); its exit code, -1 on timeout.
  int WaitExit(std::chrono::seconds timeout) { return WaitChild(timeout); }
  // True while the mount point is in /proc/self/mountinfo.
  bool InMountTable() const { return IsMounted(); }
  const std::string& path() const { return mountpoint_; }  // the mount point
  std::string File(const std::string& name) const { return mountpoint_ + "/" + name; }
  const std::string& cache_dir() const { return cache_dir_; }
  const std::string& bucket() const { return bucket_; }
  const S3Endpoint& endpoint() const { return endpoint_; }
  ObjectStore& store() { return *store_; }
  // Everything partfs printed (all runs of this Mount).
  std::string Log() const;
  // The command line used to start partfs (for error messages and manual runs).
  std::vector<std::string> Args() const;

 private:
  bool IsMounted() const;
  int WaitChild(std::chrono::milliseconds timeout);  // exit code, -1 on timeout

  TempDir dir_;
  S3Endpoint endpoint_;
  std::string bucket_;
  std::string mountpoint_;
  std::string cache_dir_;
  std::string log_path_;
  MountSpec spec_;
  std::unique_ptr<ObjectStore> store_;
  pid_t child_ = -1;
};

// Lowercase hex SHA-256 of a local file / of an object read with ranged GETs.
std::string Sha256OfFile(const std::string& path);
Result<std::string> Sha256OfObject(ObjectStore& store, const std::string& key);
// Writes `size` pseudo-random bytes (deterministic for `seed`) to `path`.
void WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed);
// Debian's python3 (starts faster than a pyenv shim).
std::string Python3();

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_MOUNT_FIXTURE_H_
