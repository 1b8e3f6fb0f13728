// Crash test: kill -9 after the last part is uploaded but before
// CompleteMultipartUpload succeeded; the remount completes the object without
// sending any part again.
#include <chrono>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

class ResumeCompleteTest : public ResumeFixture {
 protected:
  ResumeCompleteTest() : ResumeFixture("resume-complete") {}
};

TEST_F(ResumeCompleteTest, KilledBeforeCompleteResendsNoPart) {
  const uint64_t size = 40 * kMiB + 12345;  // 6 parts of the default 8 MiB
  const std::string source = UrandomSource(size);
  ASSERT_FALSE(HasFatalFailure());

  // Every CompleteMultipartUpload (POST ...?uploadId=) gets a 503: the mount
  // retries it while the test kills it.
  proxy_.FailRequestsMatching({"POST ", "uploadId="});
  ASSERT_NO_FATAL_FAILURE(StartMountThroughProxy());
  Mount& mount = *mount_;

  // The first refused Complete means every part is uploaded and journaled.
  ASSERT_NO_FATAL_FAILURE(
      CopyAndKillAtFirstFault(mount, proxy_, source, "done-but-not-complete", tmp_.Sub("dd.log")));

  auto entry = FindJournalEntry(mount.cache_dir(), "done-but-not-complete");
  ASSERT_TRUE(entry.has_value()) << mount.Log();
  const uint32_t total = PartsFor(entry->record, size);
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(entry->parts.size(), total) << "all parts journaled before Complete";
  EXPECT_TRUE(CachedParts(mount.cache_dir(), entry->record.file_id).empty());
  EXPECT_FALSE(mount.store().HeadObject("done-but-not-complete").ok());
  const int server_parts = CountUploadPartRequests(server_, mount.bucket());
  EXPECT_EQ(server_parts, static_cast<int>(total));

  // Remount on the same cache and (disarmed) proxy URL: the journal ties the
  // record to the endpoint it was written through.
  proxy_.PassThrough();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(mount, 60s));
  EXPECT_TRUE(ReadJournal(mount.cache_dir()).empty()) << mount.Log();

  const int resent = CountUploadPartRequests(server_, mount.bucket()) - server_parts;
  std::printf("[ResumeComplete] %u parts journaled at the kill; the remount sent %d parts\n", total,
              resent);
  EXPECT_EQ(resent, 0) << mount.Log();
  auto info = mount.store().HeadObject("done-but-not-complete");
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << mount.Log();
  EXPECT_EQ(info->size, size);
  EXPECT_EQ(info->etag.substr(info->etag.find('-') + 1), "6") << info->etag;
  auto sha = Sha256OfObject(mount.store(), "done-but-not-complete");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(*sha, Sha256OfFile(source));
  EXPECT_TRUE(ProcessAlive(mount.pid()));
}

}  // namespace
}  // namespace partfs::testing
