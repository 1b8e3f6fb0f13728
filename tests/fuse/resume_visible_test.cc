// Crash test: right after the remount, reading a file whose upload is still
// being resumed waits for its recovery and returns the full content (not
// ENOENT). The recovery is held back by refusing CompleteMultipartUpload
// until partfs logs that the reader's lookup waits for it.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

class ResumeVisibleTest : public ResumeFixture {
 protected:
  ResumeVisibleTest() : ResumeFixture("resume-visible") {}
};

TEST_F(ResumeVisibleTest, ReadRightAfterRemountWaitsForTheRecoveredFile) {
  const uint64_t size = 20 * kMiB + 4321;  // 3 parts of the default 8 MiB
  const std::string source = UrandomSource(size);
  ASSERT_FALSE(HasFatalFailure());

  proxy_.FailRequestsMatching({"POST ", "uploadId="});  // CompleteMultipartUpload
  ASSERT_NO_FATAL_FAILURE(StartMountThroughProxy());
  Mount& mount = *mount_;
  ASSERT_NO_FATAL_FAILURE(CopyAndKillAtFirstFault(mount, proxy_, source, "f", tmp_.Sub("dd.log")));
  ASSERT_TRUE(FindJournalEntry(mount.cache_dir(), "f").has_value()) << mount.Log();
  ASSERT_FALSE(mount.store().HeadObject("f").ok());

  // Remount with Complete still refused: the recovery retries it (a few times,
  // for about a second) while the reader's lookup waits for it.
  Status started = mount.Remount();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ChildProcess sha({"sha256sum", mount.File("f")}, tmp_.Sub("sha.log"));
  const bool waiting = PollUntil(
      10s, [&] { return mount.Log().find("waiting for the recovery of f") != std::string::npos; });
  proxy_.PassThrough();
  EXPECT_TRUE(waiting) << "the lookup did not wait for the recovery\n" << mount.Log();
  EXPECT_TRUE(sha.running()) << "answered before the recovery: " << sha.Output();

  ASSERT_EQ(sha.Wait(90s), 0) << sha.Output() << "\n" << mount.Log();
  EXPECT_EQ(sha.Output().substr(0, 64), Sha256OfFile(source)) << sha.Output();
  auto info = mount.store().HeadObject("f");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, size);
}

}  // namespace
}  // namespace partfs::testing
