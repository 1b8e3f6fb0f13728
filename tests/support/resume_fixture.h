// ResumeFixture: the setting the crash-resume tests of the fuse tier share: a
// scratch directory, the shared local S3 server, a FaultProxy in front of it
// (disarmed until the test sets faults) and a mount through the proxy, created
// and started by StartMountThroughProxy() once the test armed the proxy. A
// remount must go through the same proxy URL: the journal ties each record to
// the endpoint it was written through. Not thread-safe (one per test).
#ifndef PARTFS_TESTS_SUPPORT_RESUME_FIXTURE_H_
#define PARTFS_TESTS_SUPPORT_RESUME_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {

inline constexpr uint64_t kMiB = 1 << 20;

class ResumeFixture : public ::testing::Test {
 protected:
  // `tmp_name`: the scratch directory's name prefix.
  explicit ResumeFixture(const std::string& tmp_name)
      : tmp_(tmp_name), server_(SharedS3Server()), proxy_(server_.port) {}

  // Creates mount_ through the proxy with the mount `options` (and the cache
  // directory `cache_dir`, "" for the Mount's default) and starts it; a fatal
  // failure when it does not start.
  void StartMountThroughProxy(std::vector<std::string> options = {},
                              const std::string& cache_dir = "") {
    MountSpec spec = MountSpecThroughProxy(server_, proxy_);
    spec.options = std::move(options);
    spec.cache_dir = cache_dir;
    mount_ = std::make_unique<Mount>(spec);
    Status started = mount_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString() << "\n" << mount_->Log();
  }

  // `size` bytes from /dev/urandom in the scratch file `name`; returns its path.
  // A fatal failure when it cannot be written.
  std::string UrandomSource(uint64_t size, const std::string& name = "source") {
    const std::string path = tmp_.Sub(name);
    WriteUrandomFile(path, size);
    return path;
  }

  TempDir tmp_;
  S3Endpoint server_;
  FaultProxy proxy_;
  // Declared last: unmounted before the proxy goes. A subclass whose members
  // the mount depends on (a tmpfs for the cache) resets it in TearDown.
  std::unique_ptr<Mount> mount_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_RESUME_FIXTURE_H_
