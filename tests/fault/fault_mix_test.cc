// A real mount behind the fault proxy, 10% of all requests faulted with a mix
// of 503 SlowDown, 500 InternalError, a connection reset part-way through the
// request, and (twice at most) a stall past the client's low-speed timeout
// (30 s). One big file (1 GiB; PARTFS_FAULT_BIG_MIB overrides) and 500 small
// files (1-64 KiB) are written at the same time; every close() must return 0
// and every object must be byte-identical, read directly from the server (not
// through the proxy). The proxy's fault counts and partfs's own retry log
// lines must both show retries. PARTFS_FAULT_SEED fixes the fault sequence.
//
// retry_timeout is 45 s, not shorter: a stalled request costs 30 s before
// curl gives up, and the retry budget counts from the first attempt.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fault/fault_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/s3_test_server.h"
#include "tests/torture/torture_model.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kKiB = 1024;
constexpr int kSmallFiles = 500;
constexpr int kSmallWriters = 3;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return (v == nullptr || *v == '\0') ? fallback : std::strtoull(v, nullptr, 0);
}

class FaultMixTest : public ResumeFixture {
 protected:
  FaultMixTest() : ResumeFixture("fault-mix") {}
};

TEST_F(FaultMixTest, TenPercentFaultsBigAndSmallFilesArriveIntact) {
  const uint64_t seed = EnvOr("PARTFS_FAULT_SEED", std::random_device{}());
  const uint64_t big_size = EnvOr("PARTFS_FAULT_BIG_MIB", 1024) * kMiB;
  std::printf("[FaultMix] seed %llu (replay: PARTFS_FAULT_SEED=%llu), big file %llu MiB\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(big_size / kMiB));
  ::testing::Test::RecordProperty("seed", std::to_string(seed));

  ASSERT_NO_FATAL_FAILURE(StartMountThroughProxy({"retry_timeout=45"}));
  Mount& mount = *mount_;
  FaultProxy& proxy = proxy_;
  auto direct = DirectStore(server_, mount.bucket());
  ASSERT_NE(direct, nullptr);

  FaultProxy::RandomFaults faults;
  faults.probability = 0.10;
  faults.seed = seed;
  faults.weight_503 = 3;
  faults.weight_500 = 3;
  faults.weight_reset = 3;
  faults.weight_stall = 1;
  faults.max_stalls = 2;
  faults.stall_for = 60s;
  proxy.FaultRandomly(faults);
  const auto start = std::chrono::steady_clock::now();

  ASSERT_EQ(mkdir(mount.File("small").c_str(), 0755), 0)
      << std::strerror(errno) << LogTail(mount.Log());
  GeneratedWrite big;
  big.key = ContentKey(seed, 0);
  big.size = big_size;
  std::thread big_thread([&] { big.Run(mount.File("big")); });

  std::vector<uint64_t> small_sizes(kSmallFiles);
  std::mt19937_64 rng(seed);
  for (uint64_t& s : small_sizes) s = 1 * kKiB + rng() % (63 * kKiB + 1);
  std::vector<std::string> small_failures[kSmallWriters];
  std::vector<std::thread> small_threads;
  for (int w = 0; w < kSmallWriters; ++w) {
    small_threads.emplace_back([&, w] {
      for (int i = w; i < kSmallFiles; i += kSmallWriters) {
        GeneratedWrite file;
        file.key = ContentKey(seed, 1 + i);
        file.size = small_sizes[i];
        file.chunk = 16 * kKiB;
        file.Run(mount.File("small/s" + std::to_string(i)));
        if (file.open_errno != 0 || file.write_errno != 0 || file.close_errno != 0) {
          small_failures[w].push_back("small/s" + std::to_string(i) + ": open errno " +
                                      std::to_string(file.open_errno) + ", write errno " +
                                      std::to_string(file.write_errno) + ", close errno " +
                                      std::to_string(file.close_errno));
        }
      }
    });
  }
  for (auto& t : small_threads) t.join();
  big_thread.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const FaultProxy::RandomFaultCounts counts = proxy.random_fault_counts();
  const int requests = proxy.requests_seen();
  proxy.PassThrough();
  const size_t retry_lines = CountOccurrences(mount.Log(), "retrying in");
  std::printf(
      "[FaultMix] %.1f s for %llu MiB + %d small files; %d requests, faults injected: %d "
      "(503 SlowDown %d, 500 InternalError %d, reset %d, stall %d); partfs logged %zu retries\n",
      secs, static_cast<unsigned long long>(big_size / kMiB), kSmallFiles, requests, counts.total(),
      counts.slow_down_503, counts.internal_error_500, counts.reset, counts.stall, retry_lines);
  ::testing::Test::RecordProperty("faults_injected", counts.total());
  ::testing::Test::RecordProperty("partfs_retries_logged", static_cast<int>(retry_lines));

  // Every call succeeded despite the faults.
  EXPECT_EQ(big.open_errno, 0);
  EXPECT_EQ(big.write_errno, 0) << "after " << big.accepted << " bytes";
  EXPECT_EQ(big.close_errno, 0) << LogTail(mount.Log());
  for (const auto& failures : small_failures) {
    for (const std::string& f : failures) ADD_FAILURE() << f;
  }
  // The faults really happened, of every kind, and partfs retried them.
  EXPECT_GT(counts.total(), 0);
  EXPECT_GT(counts.slow_down_503, 0);
  EXPECT_GT(counts.internal_error_500, 0);
  EXPECT_GT(counts.reset, 0);
  EXPECT_GE(counts.stall, 1);
  EXPECT_GT(retry_lines, 0u);

  // Byte-identical on the server, read directly.
  auto big_sha = Sha256OfObject(*direct, "big");
  ASSERT_TRUE(big_sha.ok()) << big_sha.status().ToString();
  EXPECT_EQ(*big_sha, GeneratedSha256(big.key, big_size)) << "big";
  int small_bad = 0;
  for (int i = 0; i < kSmallFiles; ++i) {
    const std::string diff = CompareObject(*direct, "small/s" + std::to_string(i),
                                           ContentKey(seed, 1 + i), small_sizes[i]);
    if (!diff.empty() && ++small_bad <= 20) ADD_FAILURE() << diff;
  }
  EXPECT_EQ(small_bad, 0) << "small files differing from what was written";

  // Nothing half-done is left: no multipart upload, no journal record.
  auto uploads = ListAllUploads(*direct, "");
  ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
  for (const UploadEntry& u : *uploads) {
    ADD_FAILURE() << "multipart upload left behind: " << u.key << " " << u.upload_id;
  }
  Status unmounted = mount.Unmount();
  EXPECT_TRUE(unmounted.ok()) << unmounted.ToString();
  for (const auto& e : ReadJournal(mount.cache_dir())) {
    ADD_FAILURE() << "journal record left: " << e.record.key << " "
                  << UploadStateName(e.record.state) << " " << e.record.last_error;
  }
  (void)direct->DeleteObject("big");  // keep the shared server's disk lean
}

}  // namespace
}  // namespace partfs::testing
