// Crash test: kill -9 while 8 dd processes write 8 files in parallel; the
// remount recovers all 8 byte-identical, sending only unjournaled parts.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

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
using testing::Mount;
using testing::MountSpec;
using testing::TempDir;

constexpr uint64_t kMiB = 1 << 20;
constexpr int kFiles = 8;

TEST(ResumeParallelTest, EightWritersKilledAllRecovered) {
  TempDir tmp("resume-parallel");
  std::vector<uint64_t> sizes;
  for (int i = 0; i < kFiles; ++i) {
    sizes.push_back(28 * kMiB + 4099 * (i + 1));  // 4 parts of 8 MiB, the last 4 MiB + a bit
    testing::WriteUrandomFile(tmp.Sub("src" + std::to_string(i)), sizes[i]);
    ASSERT_FALSE(HasFatalFailure());
  }
  // One upload thread for 8 writers: parts queue up behind each other. Behind
  // a FaultProxy that refuses every CompleteMultipartUpload (503, retried), so
  // no file can complete before the kill, whatever the timing.
  const testing::S3Endpoint server = testing::SharedS3Server();
  testing::FaultProxy proxy(server.port);
  proxy.FailRequestsMatching({"POST ", "uploadId="});
  MountSpec spec = testing::MountSpecThroughProxy(server, proxy);
  spec.options = {"upload_threads=1", "cache_size=1G"};
  Mount mount(spec);
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  std::vector<std::unique_ptr<ChildProcess>> dds;
  for (int i = 0; i < kFiles; ++i) {
    const std::string n = std::to_string(i);
    dds.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{"dd", "if=" + tmp.Sub("src" + n), "of=" + mount.File("par-" + n),
                                 "bs=1M", "status=none"},
        tmp.Sub("dd" + n + ".log")));
  }
  const bool written = testing::PollUntil(120s, [&] {
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

  const auto entries = testing::ReadJournal(mount.cache_dir());
  uint32_t journaled = 0, pending = 0;
  for (const auto& e : entries) {
    journaled += e.parts.size();
    pending += testing::CachedParts(mount.cache_dir(), e.record.file_id).size();
  }
  const int server_parts = testing::CountUploadPartRequests(server, mount.bucket());
  std::printf(
      "[ResumeParallel] at the kill: %d dd still in write/close, %zu records, %u parts "
      "journaled, %u part files cached, server holds %d parts\n",
      still_writing, entries.size(), journaled, pending, server_parts);
  EXPECT_GT(pending, 0u) << "the kill came after every upload";

  // Remount through the same (now disarmed) proxy URL: records are tied to their endpoint.
  proxy.PassThrough();
  ASSERT_NO_FATAL_FAILURE(testing::RemountAndWaitForRecovery(mount, 60s));
  EXPECT_TRUE(testing::ReadJournal(mount.cache_dir()).empty()) << mount.Log();

  for (int i = 0; i < kFiles; ++i) {
    const std::string key = "par-" + std::to_string(i);
    auto sha = testing::Sha256OfObject(mount.store(), key);
    ASSERT_TRUE(sha.ok()) << key << ": " << sha.status().ToString() << "\n" << mount.Log();
    EXPECT_EQ(*sha, testing::Sha256OfFile(tmp.Sub("src" + std::to_string(i)))) << key;
  }
  const int resent = testing::CountUploadPartRequests(server, mount.bucket()) - server_parts;
  std::printf("[ResumeParallel] the remount sent %d parts (%d not on the server at the kill)\n",
              resent, static_cast<int>(kFiles * 4) - server_parts);
  // Every part not on the server is sent once; parts the server holds (journaled,
  // or finished just before the kill and adopted) are not.
  EXPECT_EQ(resent, kFiles * 4 - server_parts) << mount.Log();
  EXPECT_TRUE(testing::ProcessAlive(mount.pid()));
}

}  // namespace
}  // namespace partfs
