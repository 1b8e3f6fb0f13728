// The cache on a small disk (a tmpfs), beyond tests/fuse/fs_cache_full_test.cc
// (which covers ENOSPC with refused uploads, close() after ENOSPC, and a
// journal without space):
//   - backpressure: 4 writers together want far more cache than the disk
//     holds, uploads are slow; cache_size must make them wait - no ENOSPC,
//     no EIO, the disk never fills, every object identical;
//   - ENOSPC only when really full: with slow uploads a single writer never
//     gets ENOSPC while the disk has room (its parts in flight are bounded);
//     when another process takes the space, the writer gets ENOSPC only once
//     less than the journal headroom (4 MiB) plus the write is free; once
//     space returns, the same fd writes on (ENOSPC is not sticky) and the
//     object is every byte, in order;
//   - nothing accepted lost: ENOSPC, then kill -9 with the file still open,
//     remount: the object is exactly the bytes write() accepted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fault/fault_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "tests/torture/torture_model.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kHeadroom = 4 * kMiB;  // DESIGN.md kJournalHeadroom

// A one-shot signal between the test and a writer thread; Open() is idempotent.
class Gate {
 public:
  Gate() : future_(promise_.get_future().share()) {}
  void Open() {
    if (!opened_.exchange(true)) promise_.set_value();
  }
  void Wait() const { future_.wait(); }
  bool WaitFor(std::chrono::milliseconds d) const {
    return future_.wait_for(d) == std::future_status::ready;
  }

 private:
  std::promise<void> promise_;
  std::shared_future<void> future_;
  std::atomic<bool> opened_{false};
};

// Runs `fn` when the scope ends (also on ASSERT returns): unblocks writer threads
// so that their futures can be joined.
class AtExit {
 public:
  explicit AtExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~AtExit() { fn_(); }
  AtExit(const AtExit&) = delete;
  AtExit& operator=(const AtExit&) = delete;

 private:
  std::function<void()> fn_;
};

class FaultCacheDiskTest : public ResumeFixture {
 protected:
  FaultCacheDiskTest() : ResumeFixture("fault-cache-disk") {}

  void StartMount(int tmpfs_mib, std::vector<std::string> options) {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    tmpfs_ = std::make_unique<TmpfsDir>(tmp_.Sub("cache"), tmpfs_mib);
    ASSERT_TRUE(tmpfs_->mounted()) << tmpfs_->error();
    StartMountThroughProxy(std::move(options), tmp_.Sub("cache"));
    if (HasFatalFailure()) return;
    direct_ = DirectStore(server_, mount_->bucket());
    ASSERT_NE(direct_, nullptr);
    used_at_mount_ = tmpfs_->UsedBytes();
  }

  std::string DiskUsage() {
    return RunCommand("df -k " + ShellQuote(tmp_.Sub("cache")) + "; ls -lR " +
                          ShellQuote(tmp_.Sub("cache")),
                      10s)
        .output;
  }

  // Bytes allocated by the files under `dir` whose names start with `prefix`.
  static uint64_t AllocatedBytes(const std::string& dir, const std::string& prefix = "") {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st {};
      if (it->path().filename().string().rfind(prefix, 0) == 0 &&
          lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        total += static_cast<uint64_t>(st.st_blocks) * 512;
      }
    }
    return total;
  }
  // Bytes allocated by part files in the cache (files/<id>/part-<n>).
  uint64_t PartBytes() { return AllocatedBytes(tmp_.Sub("cache/files"), "part-"); }

  void TearDown() override {
    if (mount_) {
      Status st = mount_->Unmount();
      EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << LogTail(mount_->Log());
      mount_.reset();
    }
    tmpfs_.reset();  // after the mount is gone
  }

  std::unique_ptr<TmpfsDir> tmpfs_;  // removed in TearDown, after the mount
  std::unique_ptr<ObjectStore> direct_;
  uint64_t used_at_mount_ = 0;  // the cache disk's use after the mount started (journal)
};

TEST_F(FaultCacheDiskTest, CacheSizeMakesWritersWaitInsteadOfFillingTheDisk) {
  // 4 writers x (3 full parts waiting + 1 being filled) x 5 MiB = 80 MiB
  // without a global limit, on a 64 MiB disk; cache_size=20M must hold them.
  constexpr int kWriters = 4;
  constexpr uint64_t kFileSize = 40 * kMiB;
  constexpr uint64_t kCacheSize = 20 * kMiB;
  ASSERT_NO_FATAL_FAILURE(
      StartMount(64, {"cache_size=20M", "part_size=5M", "upload_threads=2", "retry_timeout=60"}));
  proxy_.DelayRequestsMatching({"PUT ", "partNumber="}, 1500ms);

  std::vector<std::unique_ptr<GeneratedWrite>> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.push_back(std::make_unique<GeneratedWrite>());
    writers.back()->key = ContentKey(99, i);
    writers.back()->size = kFileSize;
  }
  const uint64_t used_at_start = tmpfs_->UsedBytes();
  std::atomic<bool> stop_sampling{false};
  std::atomic<uint64_t> peak{0}, peak_parts{0}, peak_journal{0};
  auto sampler = std::async(std::launch::async, [&] {
    while (!stop_sampling.load()) {
      peak = std::max(peak.load(), tmpfs_->UsedBytes());
      peak_parts = std::max(peak_parts.load(), PartBytes());
      peak_journal = std::max(peak_journal.load(), AllocatedBytes(tmp_.Sub("cache/journal")));
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<void>> done;
  for (int i = 0; i < kWriters; ++i) {
    done.push_back(std::async(std::launch::async,
                              [&, i] { writers[i]->Run(mount_->File("bp" + std::to_string(i))); }));
  }
  bool finished = true;
  for (auto& d : done) finished = finished && d.wait_for(300s) == std::future_status::ready;
  if (!finished) {
    ADD_FAILURE() << "writers still blocked after 300 s; killing partfs\n"
                  << LogTail(mount_->Log());
    mount_->Kill9();
    for (auto& d : done) d.wait();
  }
  stop_sampling = true;
  sampler.wait();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[FaultCacheDisk] backpressure: %d x %llu MiB in %.1f s, %d uploads delayed; "
      "peak part data %.2f MiB, peak journal %.2f MiB, cache disk peak %.2f MiB used "
      "(%.2f MiB at start), cache_size %llu MiB\n",
      kWriters, static_cast<unsigned long long>(kFileSize / kMiB), secs, proxy_.delayed_requests(),
      peak_parts.load() / double(kMiB), peak_journal.load() / double(kMiB),
      peak.load() / double(kMiB), used_at_start / double(kMiB),
      static_cast<unsigned long long>(kCacheSize / kMiB));
  proxy_.PassThrough();
  ASSERT_TRUE(finished);

  for (int i = 0; i < kWriters; ++i) {
    const std::string name = "bp" + std::to_string(i);
    EXPECT_EQ(writers[i]->open_errno, 0) << name;
    EXPECT_EQ(writers[i]->write_errno, 0)
        << name << " after " << writers[i]->accepted << " bytes (backpressure must block, "
        << "not fail)\n"
        << DiskUsage() << LogTail(mount_->Log());
    EXPECT_EQ(writers[i]->close_errno, 0) << name << "\n" << LogTail(mount_->Log());
    EXPECT_EQ(CompareObject(*direct_, name, writers[i]->key, kFileSize), "");
  }
  // The budget held: part data (sampled every 20 ms) never passed cache_size,
  // and the disk never came near full (part data, the journal, and part files
  // unlinked while an upload still reads them).
  EXPECT_LE(peak_parts.load(), kCacheSize) << DiskUsage();
  EXPECT_LT(peak.load(), 64 * kMiB - kHeadroom) << DiskUsage();
  EXPECT_GT(proxy_.delayed_requests(), 0);
}

TEST_F(FaultCacheDiskTest, EnospcOnlyWhenReallyFullAndNotSticky) {
  constexpr uint64_t kFileSize = 100 * kMiB;
  constexpr uint64_t kPhase1 = 40 * kMiB;  // written while the disk has room
  ASSERT_NO_FATAL_FAILURE(
      StartMount(48, {"cache_size=1G", "part_size=5M", "upload_threads=2", "retry_timeout=60"}));
  // Slow uploads: the writer's parts pile up to its in-flight limit.
  proxy_.DelayRequestsMatching({"PUT ", "partNumber="}, 1000ms);

  const uint64_t key = ContentKey(77, 1);
  const std::string filler = tmp_.Sub("cache/filler");
  Gate at_phase2, phase2_go, enospc_seen, go_on;
  struct Outcome {
    std::atomic<uint64_t> accepted{0};
    std::atomic<int> enospc_count{0};
    std::atomic<int> enospc_in_phase1{0};
    uint64_t first_enospc_offset = UINT64_MAX;
    uint64_t free_at_enospc = 0;
    int other_errno = 0;
    int close_errno = -1;
  } out;
  auto writer = std::async(std::launch::async, [&] {
    const int fd = open(mount_->File("full").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      out.other_errno = errno;
      return;
    }
    std::vector<char> buf(kMiB);
    bool in_phase2 = false;
    for (uint64_t offset = 0; offset < kFileSize;) {
      if (offset >= kPhase1 && !in_phase2) {
        in_phase2 = true;
        at_phase2.Open();
        phase2_go.Wait();
      }
      const uint64_t n_want = std::min<uint64_t>(kMiB, kFileSize - offset);
      FillContent(key, offset, buf.data(), n_want);
      const ssize_t n = write(fd, buf.data(), n_want);
      if (n < 0 && errno == ENOSPC) {
        const uint64_t free_now = tmpfs_->FreeBytes();
        if (!in_phase2) {
          out.enospc_in_phase1++;
          out.other_errno = ENOSPC;
          break;
        }
        if (out.enospc_count++ == 0) {
          out.first_enospc_offset = offset;
          out.free_at_enospc = free_now;
          enospc_seen.Open();
          go_on.Wait();  // the test frees the disk; then the same write again
        } else if (out.enospc_count > 200) {
          out.other_errno = ENOSPC;  // still full 20 s after space was freed
          break;
        } else {
          std::this_thread::sleep_for(100ms);
        }
        continue;
      }
      if (n <= 0) {
        out.other_errno = n < 0 ? errno : EIO;
        break;
      }
      offset += static_cast<uint64_t>(n);
      out.accepted = offset;
    }
    out.close_errno = close(fd) == 0 ? 0 : errno;
  });
  AtExit unblock([&] {  // runs before `writer` is joined by its destructor
    unlink(filler.c_str());
    proxy_.PassThrough();
    phase2_go.Open();
    go_on.Open();
    if (writer.wait_for(120s) != std::future_status::ready) {
      ADD_FAILURE() << "the writer is blocked; killing partfs";
      mount_->Kill9();
    }
  });

  // Phase 1: no ENOSPC while the disk has room.
  const bool phase1_done = at_phase2.WaitFor(120s);
  EXPECT_EQ(out.enospc_in_phase1.load(), 0) << "ENOSPC while the cache disk had room\n"
                                            << DiskUsage();
  ASSERT_TRUE(phase1_done) << "phase 1 (40 MiB with slow uploads) did not finish in 120 s: "
                           << "accepted " << out.accepted << ", errno " << out.other_errno << "\n"
                           << DiskUsage() << LogTail(mount_->Log());
  // The writer pauses until its uploaded parts have left the cache (at most the
  // part being filled stays); then another process takes the disk but 8 MiB
  // and uploads stall (nothing drains): the writer's next part cannot fit.
  const bool drained =
      PollUntil(60s, [&] { return tmpfs_->UsedBytes() <= used_at_mount_ + 6 * kMiB; });
  ASSERT_TRUE(drained) << "the cache did not drain while the writer paused\n" << DiskUsage();
  proxy_.DelayRequestsMatching({"PUT ", "partNumber="}, 25000ms);
  const uint64_t free_now = tmpfs_->FreeBytes();
  ASSERT_GT(free_now, 8 * kMiB) << DiskUsage();
  {
    const int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(free_now - 8 * kMiB)), 0);
    close(fd);
  }
  phase2_go.Open();
  const bool got_enospc = enospc_seen.WaitFor(120s);
  ASSERT_TRUE(got_enospc) << "no ENOSPC 120 s after the disk was filled (accepted " << out.accepted
                          << ", errno " << out.other_errno << ")\n"
                          << DiskUsage() << LogTail(mount_->Log());
  std::printf("[FaultCacheDisk] ENOSPC at offset %llu MiB with %.2f MiB free on the cache disk\n",
              static_cast<unsigned long long>(out.first_enospc_offset / kMiB),
              out.free_at_enospc / double(kMiB));
  // Really full: less than the headroom plus this one write was free.
  EXPECT_LT(out.free_at_enospc, kHeadroom + kMiB + 512 * 1024) << DiskUsage();
  // Space returns, uploads flow: the same fd writes on.
  ASSERT_EQ(unlink(filler.c_str()), 0);
  proxy_.PassThrough();
  go_on.Open();
  ASSERT_EQ(writer.wait_for(300s), std::future_status::ready) << LogTail(mount_->Log());
  std::printf("[FaultCacheDisk] writer: accepted %llu MiB, %d ENOSPC, errno %d, close errno %d\n",
              static_cast<unsigned long long>(out.accepted / kMiB), out.enospc_count.load(),
              out.other_errno, out.close_errno);
  EXPECT_EQ(out.other_errno, 0) << "after space was freed\n"
                                << DiskUsage() << LogTail(mount_->Log());
  EXPECT_EQ(out.accepted.load(), kFileSize);
  EXPECT_EQ(out.close_errno, 0) << LogTail(mount_->Log());
  EXPECT_EQ(CompareObject(*direct_, "full", key, out.accepted), "") << LogTail(mount_->Log());
}

TEST_F(FaultCacheDiskTest, AcceptedBytesSurviveKill9AfterEnospc) {
  // Uploads refused: failed parts stay in the cache until the 40 MiB disk is full.
  ASSERT_NO_FATAL_FAILURE(
      StartMount(40, {"part_size=8M", "cache_size=1G", "retry_timeout=2", "upload_threads=2"}));
  proxy_.FailRequestsMatching({"PUT ", "partNumber="});
  const uint64_t key = ContentKey(55, 1);
  std::atomic<uint64_t> accepted{0};
  std::atomic<int> failed_errno{0};
  Gate stopped, release;
  auto writer = std::async(std::launch::async, [&] {
    const int fd = open(mount_->File("victim").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      failed_errno = errno;
      stopped.Open();
      return;
    }
    std::vector<char> buf(kMiB);
    for (uint64_t offset = 0; offset < 200 * kMiB;) {
      FillContent(key, offset, buf.data(), kMiB);
      const ssize_t n = write(fd, buf.data(), kMiB);
      if (n <= 0) {
        failed_errno = n < 0 ? errno : EIO;
        break;
      }
      offset += static_cast<uint64_t>(n);
      accepted = offset;
    }
    stopped.Open();
    release.Wait();  // the fd stays open across the kill
    close(fd);
  });
  AtExit unblock([&] {
    release.Open();
    if (writer.wait_for(60s) != std::future_status::ready) mount_->Kill9();
  });
  if (!stopped.WaitFor(180s)) {
    mount_->Kill9();
    FAIL() << "the writer neither failed nor finished in 180 s on a full disk\n" << DiskUsage();
  }
  std::printf("[FaultCacheDisk] kill -9 after errno %d with %llu bytes accepted\n",
              failed_errno.load(), static_cast<unsigned long long>(accepted.load()));
  EXPECT_EQ(failed_errno.load(), ENOSPC) << DiskUsage() << LogTail(mount_->Log());
  mount_->Kill9();
  release.Open();
  writer.wait();
  proxy_.PassThrough();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(*mount_, 120s));
  EXPECT_EQ(CompareObject(*direct_, "victim", key, accepted), "")
      << "not exactly the accepted bytes\n"
      << LogTail(mount_->Log());
  EXPECT_TRUE(ReadJournal(mount_->cache_dir()).empty())
      << PartfsStatus(mount_->cache_dir(), false).output;
}

}  // namespace
}  // namespace partfs::testing
