// Crash test: kill -9 while 8 dd processes write 8 files in parallel; the
// remount recovers all 8 byte-identical, sending only unjournaled parts.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kFiles = 8;

class ResumeParallelTest : public ResumeFixture {
 protected:
  ResumeParallelTest() : ResumeFixture("resume-parallel") {}
};

TEST_F(ResumeParallelTest, EightWritersKilledAllRecovered) {
  std::vector<uint64_t> sizes;
  for (int i = 0; i < kFiles; ++i) {
    sizes.push_back(28 * kMiB + 4099 * (i + 1));  // 4 parts of 8 MiB, the last 4 MiB + a bit
    UrandomSource(sizes[i], "src" + std::to_string(i));
    ASSERT_FALSE(HasFatalFailure());
  }
  // One upload thread for 8 writers: parts queue up behind each other. Behind
  // a FaultProxy that refuses every CompleteMultipartUpload (503, retried), so
  // no file can complete before the kill, whatever the timing.
  proxy_.FailRequestsMatching({"POST ", "uploadId="});
  ASSERT_NO_FATAL_FAILURE(StartMountThroughProxy({"upload_threads=1", "cache_size=1G"}));
  Mount& mount = *mount_;

  std::vector<std::unique_ptr<ChildProcess>> dds;
  for (int i = 0; i < kFiles; ++i) {
    const std::string n = std::to_string(i);
    dds.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{"dd", "if=" + tmp_.Sub("src" + n), "of=" + mount.File("par-" + n),
                                 "bs=1M", "status=none"},
        tmp_.Sub("dd" + n + ".log")));
  }
  const bool written = PollUntil(120s, [&] {
    for (int i = 0; i < kFiles; ++i) {
      if (dds[i]->running() && dds[i]->BytesWritten() < static_cast<int64_t>(sizes[i])) {
        return false;
      }
    }
    return true;
  });
  EXPECT_TRUE(written) << "not every dd got its data into the cache";
  int still_writing = 0;
  for (auto& dd : dds) still_writing += dd->running() ? 1 : 0;
  for (auto& dd : dds) {
    if (!dd->running()) ADD_FAILURE() << "dd ended before the kill: " << dd->Output();
  }
  mount.Kill9();
  for (auto& dd : dds) dd->Wait(30s);

  const auto entries = ReadJournal(mount.cache_dir());
  uint32_t journaled = 0, pending = 0;
  for (const auto& e : entries) {
    journaled += e.parts.size();
    pending += CachedParts(mount.cache_dir(), e.record.file_id).size();
  }
  const int server_parts = CountUploadPartRequests(server_, mount.bucket());
  std::printf(
      "[ResumeParallel] at the kill: %d dd still in write/close, %zu records, %u parts "
      "journaled, %u part files cached, server holds %d parts\n",
      still_writing, entries.size(), journaled, pending, server_parts);
  EXPECT_GT(pending, 0u) << "the kill came after every upload";

  // Remount through the same (now disarmed) proxy URL: records are tied to their endpoint.
  proxy_.PassThrough();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(mount, 60s));
  EXPECT_TRUE(ReadJournal(mount.cache_dir()).empty()) << mount.Log();

  for (int i = 0; i < kFiles; ++i) {
    const std::string key = "par-" + std::to_string(i);
    auto sha = Sha256OfObject(mount.store(), key);
    ASSERT_TRUE(sha.ok()) << key << ": " << sha.status().ToString() << "\n" << mount.Log();
    EXPECT_EQ(*sha, Sha256OfFile(tmp_.Sub("src" + std::to_string(i)))) << key;
  }
  const int resent = CountUploadPartRequests(server_, mount.bucket()) - server_parts;
  std::printf("[ResumeParallel] the remount sent %d parts (%d not on the server at the kill)\n",
              resent, static_cast<int>(kFiles * 4) - server_parts);
  // Every part not on the server is sent once; parts the server holds (journaled,
  // or finished just before the kill and adopted) are not.
  EXPECT_EQ(resent, kFiles * 4 - server_parts) << mount.Log();
  EXPECT_TRUE(ProcessAlive(mount.pid()));
}

}  // namespace
}  // namespace partfs::testing
