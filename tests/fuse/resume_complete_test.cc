// Crash test: kill -9 after the last part is uploaded but before
// CompleteMultipartUpload succeeded; the remount completes the object without
// sending any part again.
#include <chrono>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/fuse/resume_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::FaultProxy;
using testing::Mount;
using testing::MountSpec;
using testing::S3Endpoint;
using testing::TempDir;

constexpr uint64_t kMiB = 1 << 20;

TEST(ResumeCompleteTest, KilledBeforeCompleteResendsNoPart) {
  TempDir tmp("resume-complete");
  const uint64_t size = 40 * kMiB + 12345;  // 6 parts of the default 8 MiB
  const std::string source = tmp.Sub("source");
  testing::WriteUrandomFile(source, size);
  ASSERT_FALSE(HasFatalFailure());

  // Every CompleteMultipartUpload (POST ...?uploadId=) gets a 503: the mount
  // retries it while the test kills it.
  const S3Endpoint server = testing::SharedS3Server();
  FaultProxy proxy(server.port);
  proxy.FailRequestsMatching({"POST ", "uploadId="});
  MountSpec spec = testing::MountSpecThroughProxy(server, proxy);
  Mount mount(spec);
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  // The first refused Complete means every part is uploaded and journaled.
  ASSERT_NO_FATAL_FAILURE(testing::CopyAndKillAtFirstFault(
      mount, proxy, source, "done-but-not-complete", tmp.Sub("dd.log")));

  auto entry = testing::FindJournalEntry(mount.cache_dir(), "done-but-not-complete");
  ASSERT_TRUE(entry.has_value()) << mount.Log();
  const uint32_t total = testing::PartsFor(entry->record, size);
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(entry->parts.size(), total) << "all parts journaled before Complete";
  EXPECT_TRUE(testing::CachedParts(mount.cache_dir(), entry->record.file_id).empty());
  EXPECT_FALSE(mount.store().HeadObject("done-but-not-complete").ok());
  const int server_parts = testing::CountUploadPartRequests(server, mount.bucket());
  EXPECT_EQ(server_parts, static_cast<int>(total));

  // Remount on the same cache and (disarmed) proxy URL: the journal ties the
  // record to the endpoint it was written through.
  proxy.PassThrough();
  ASSERT_NO_FATAL_FAILURE(testing::RemountAndWaitForRecovery(mount, 60s));
  EXPECT_TRUE(testing::ReadJournal(mount.cache_dir()).empty()) << mount.Log();

  const int resent = testing::CountUploadPartRequests(server, mount.bucket()) - server_parts;
  std::printf("[ResumeComplete] %u parts journaled at the kill; the remount sent %d parts\n", total,
              resent);
  EXPECT_EQ(resent, 0) << mount.Log();
  auto info = mount.store().HeadObject("done-but-not-complete");
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << mount.Log();
  EXPECT_EQ(info->size, size);
  EXPECT_EQ(info->etag.substr(info->etag.find('-') + 1), "6") << info->etag;
  auto sha = testing::Sha256OfObject(mount.store(), "done-but-not-complete");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString();
  EXPECT_EQ(*sha, testing::Sha256OfFile(source));
  EXPECT_TRUE(testing::ProcessAlive(mount.pid()));
}

}  // namespace
}  // namespace partfs
