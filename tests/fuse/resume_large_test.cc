// Crash tests: kill -9 partfs while 1 GiB written with dd is still being
// uploaded, lazily unmount, remount on the same cache dir: the object becomes
// byte-identical to what dd wrote and only the parts the journal did not hold
// at the kill are sent again (counted in the server's log).
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kSize = 1024 * kMiB;

struct Source {
  std::string path;
  std::string sha256;
};

// 1 GiB from /dev/urandom, generated once per test process.
const Source& OneGiBSource() {
  static TempDir dir("resume-source");  // removed at process exit
  static const Source source = [] {
    Source s{dir.Sub("1g"), ""};
    WriteUrandomFile(s.path, kSize);
    s.sha256 = Sha256OfFilePrefix(s.path, kSize);
    return s;
  }();
  return source;
}

// dd's 1 GiB into `mount`, kill -9 once dd has written everything (it then waits
// in close() for the upload) and at least `min_parts` parts are journaled,
// remount, check content and the parts the remount sent. `after_written` runs
// once dd has written everything, `before_remount` between the kill and the remount.
void CrashAndResume(Mount& mount, const S3Endpoint& server, uint32_t min_parts,
                    const std::function<void()>& after_written,
                    const std::function<void()>& before_remount) {
  const Source& source = OneGiBSource();
  ASSERT_EQ(source.sha256.size(), 64u);
  TempDir tmp("resume-large");
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  ChildProcess dd({"dd", "if=" + source.path, "of=" + mount.File("big"), "bs=1M", "status=none"},
                  tmp.Sub("dd.log"));
  const auto dd_start = std::chrono::steady_clock::now();
  const bool written = PollUntil(
      150s, [&] { return dd.BytesWritten() >= static_cast<int64_t>(kSize) || !dd.running(); });
  const double dd_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - dd_start).count();
  if (after_written) after_written();
  const bool some_parts = PollUntil(60s, [&] {
    auto e = FindJournalEntry(mount.cache_dir(), "big");
    return e && e->parts.size() >= min_parts;
  });
  ASSERT_TRUE(some_parts) << mount.Log();
  const int64_t dd_bytes = dd.BytesWritten();
  ASSERT_TRUE(dd.running()) << "dd ended before the kill: " << dd.Output();
  mount.Kill9();
  EXPECT_NE(dd.Wait(30s), 0) << "dd's close() cannot succeed once partfs is dead";

  // The exact state at the kill: read after it (one part may have been in flight).
  auto entry = FindJournalEntry(mount.cache_dir(), "big");
  ASSERT_TRUE(entry.has_value()) << "no journal record after the kill\n" << mount.Log();
  const uint32_t journaled = entry->parts.size();
  const auto cached = CachedParts(mount.cache_dir(), entry->record.file_id);
  const int server_parts = CountUploadPartRequests(server, mount.bucket());
  ASSERT_GE(server_parts, static_cast<int>(journaled));
  // A part whose UploadPart succeeded but whose PutPart did not commit: recovery
  // adopts it from ListParts (by MD5) instead of sending it again.
  const int adopted = server_parts - static_cast<int>(journaled);
  EXPECT_LE(adopted, 1) << "upload_threads=1: at most one part in flight";
  std::printf(
      "[ResumeLarge] dd wrote %lld bytes in %.1f s; at the kill %u parts journaled, %zu "
      "part files cached, server holds %d parts\n",
      static_cast<long long>(dd_bytes), dd_seconds, journaled, cached.size(), server_parts);
  if (before_remount) before_remount();

  const auto remount_start = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(mount, 90s));
  const double resume_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - remount_start).count();
  EXPECT_TRUE(ReadJournal(mount.cache_dir()).empty()) << mount.Log();

  auto info = mount.store().HeadObject("big");
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << mount.Log();
  const uint32_t total = PartsFor(entry->record, info->size);
  const int resent = CountUploadPartRequests(server, mount.bucket()) - server_parts;
  std::printf(
      "[ResumeLarge] object %llu bytes in %u parts; the remount sent %d parts (%u not "
      "journaled at the kill, %d adopted); recovery done %.1f s after the remount\n",
      static_cast<unsigned long long>(info->size), total, resent, total - journaled, adopted,
      resume_seconds);
  EXPECT_EQ(resent, static_cast<int>(total - journaled) - adopted) << mount.Log();
  EXPECT_EQ(info->etag.substr(info->etag.find('-') + 1), std::to_string(total)) << info->etag;

  auto object_sha = Sha256OfObject(mount.store(), "big");
  ASSERT_TRUE(object_sha.ok()) << object_sha.status().ToString();
  if (written && dd_bytes >= static_cast<int64_t>(kSize)) {
    EXPECT_EQ(info->size, kSize);
    EXPECT_EQ(*object_sha, source.sha256);
  } else {
    // dd did not get everything into the cache before the kill: what was
    // recovered must be exactly the source's prefix of that length.
    std::printf("[ResumeLarge] dd had written only %lld bytes at the kill\n",
                static_cast<long long>(dd_bytes));
    EXPECT_GT(info->size, 0u);
    EXPECT_EQ(*object_sha, Sha256OfFilePrefix(source.path, info->size));
  }
  EXPECT_TRUE(ProcessAlive(mount.pid())) << mount.Log();
}

// Natural lag: one upload thread against dd writing into a large cache.
TEST(ResumeLargeTest, OneGiBKilledWhileUploadsLag) {
  MountSpec spec;
  spec.options = {"upload_threads=1", "cache_size=2G"};
  Mount mount(spec);
  CrashAndResume(mount, mount.endpoint(), 3, nullptr, nullptr);
}

// Deterministic lag: behind a FaultProxy the server takes the first 16
// UploadParts and rejects the rest (400: not retried, so dd is not held back by
// the parts in flight); once dd has written everything the rejections become
// 503s, so close() keeps retrying while most of the file is only in the cache.
// The remount goes through the same proxy URL (the journal ties records to their
// endpoint) with the faults disarmed.
TEST(ResumeLargeTest, OneGiBKilledWithMostPartsPending) {
  const S3Endpoint server = SharedS3Server();
  FaultProxy proxy(server.port);
  proxy.FailRequestsMatching({"PUT ", "partNumber="}, /*pass_first=*/16, 400, "InvalidRequest");
  MountSpec spec = MountSpecThroughProxy(server, proxy);
  spec.options = {"upload_threads=1", "cache_size=2G", "retry_timeout=600"};
  Mount mount(spec);
  CrashAndResume(
      mount, server, 16,
      [&] {
        proxy.FailRequestsMatching({"PUT ", "partNumber="});
      },
      [&] {
        EXPECT_GT(proxy.faults_injected(), 0);
        proxy.PassThrough();
      });
}

}  // namespace
}  // namespace partfs::testing
