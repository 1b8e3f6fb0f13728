// Crash test: right after the remount, reading a file whose upload is still
// being resumed waits for its recovery and returns the full content (not
// ENOENT). The recovery is held back by refusing CompleteMultipartUpload
// until partfs logs that the reader's lookup waits for it.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/fuse/resume_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::FaultProxy;
using testing::Mount;
using testing::MountSpec;
using testing::S3Endpoint;
using testing::TempDir;

constexpr uint64_t kMiB = 1 << 20;

TEST(ResumeVisibleTest, ReadRightAfterRemountWaitsForTheRecoveredFile) {
  TempDir tmp("resume-visible");
  const uint64_t size = 20 * kMiB + 4321;  // 3 parts of the default 8 MiB
  const std::string source = tmp.Sub("source");
  testing::WriteUrandomFile(source, size);
  ASSERT_FALSE(HasFatalFailure());

  const S3Endpoint server = testing::SharedS3Server();
  FaultProxy proxy(server.port);
  proxy.FailRequestsMatching({"POST ", "uploadId="});  // CompleteMultipartUpload
  MountSpec spec = testing::MountSpecThroughProxy(server, proxy);
  Mount mount(spec);
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_NO_FATAL_FAILURE(
      testing::CopyAndKillAtFirstFault(mount, proxy, source, "f", tmp.Sub("dd.log")));
  ASSERT_TRUE(testing::FindJournalEntry(mount.cache_dir(), "f").has_value()) << mount.Log();
  ASSERT_FALSE(mount.store().HeadObject("f").ok());

  // Remount with Complete still refused: the recovery retries it (a few times,
  // for about a second) while the reader's lookup waits for it.
  started = mount.Remount();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ChildProcess sha({"sha256sum", mount.File("f")}, tmp.Sub("sha.log"));
  const bool waiting = testing::PollUntil(
      10s, [&] { return mount.Log().find("waiting for the recovery of f") != std::string::npos; });
  proxy.PassThrough();
  EXPECT_TRUE(waiting) << "the lookup did not wait for the recovery\n" << mount.Log();
  EXPECT_TRUE(sha.running()) << "answered before the recovery: " << sha.Output();

  ASSERT_EQ(sha.Wait(90s), 0) << sha.Output() << "\n" << mount.Log();
  EXPECT_EQ(sha.Output().substr(0, 64), testing::Sha256OfFile(source)) << sha.Output();
  auto info = mount.store().HeadObject("f");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, size);
}

}  // namespace
}  // namespace partfs
