// The server goes away for 20 s in the middle of a write. The outage is made
// by the fault proxy (every connection, open or new, is reset: from the
// client's side the same as a stopped server, and far cheaper than stopping
// Swift). The writer pauses at 16 MiB of a 64 MiB file until the outage is on,
// so the outage always hits the upload of the remaining parts and the Complete.
//   retry_timeout=60: a 20 s outage is shorter than the retry budget, so every
//     write() and the close() succeed and the object is identical.
//   retry_timeout=5: the error reaches the writer (write() or close() gives
//     EIO); after the outage the same mount completes the upload later by
//     itself (failed records are retried with backoff), with exactly the
//     accepted bytes, and the journal empties.
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>

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

constexpr uint64_t kSize = 64 * kMiB;
constexpr uint64_t kOutageAt = 16 * kMiB;
constexpr auto kOutage = 20s;
constexpr char kKey[] = "outage";

class FaultOutageTest : public ResumeFixture {
 protected:
  FaultOutageTest() : ResumeFixture("fault-outage") {}

  // Mounts with `retry_timeout`, writes the file with a 20 s outage starting
  // at 16 MiB, and returns when the writer has closed (or 300 s passed).
  void WriteThroughOutage(int retry_timeout) {
    ASSERT_NO_FATAL_FAILURE(
        StartMountThroughProxy({"retry_timeout=" + std::to_string(retry_timeout)}));
    direct_ = DirectStore(server_, mount_->bucket());
    ASSERT_NE(direct_, nullptr);

    writer_.key = ContentKey(retry_timeout, 7);
    writer_.size = kSize;
    std::promise<void> at_outage_point, outage_on;
    auto outage_on_future = outage_on.get_future();
    writer_.before_write = [&](uint64_t offset) {
      if (offset == kOutageAt) {
        at_outage_point.set_value();
        outage_on_future.wait();
      }
    };
    auto done = std::async(std::launch::async, [&] { writer_.Run(mount_->File(kKey)); });
    const bool reached = at_outage_point.get_future().wait_for(60s) == std::future_status::ready;
    EXPECT_TRUE(reached) << "the writer did not reach 16 MiB in 60 s: accepted " << writer_.accepted
                         << "\n"
                         << LogTail(mount_->Log());
    proxy_.SetOutage(true);
    const auto outage_start = std::chrono::steady_clock::now();
    outage_on.set_value();
    std::this_thread::sleep_for(kOutage);
    proxy_.SetOutage(false);
    outage_end_ = std::chrono::steady_clock::now();
    std::printf(
        "[FaultOutage] retry_timeout=%d: outage of %d s over, %d connections refused; "
        "writer accepted %llu of %llu bytes so far\n",
        retry_timeout, static_cast<int>(kOutage.count()), proxy_.outage_refusals(),
        static_cast<unsigned long long>(writer_.accepted.load()),
        static_cast<unsigned long long>(kSize));
    if (done.wait_for(300s) != std::future_status::ready) {
      ADD_FAILURE() << "the writer is still blocked 300 s after the outage; killing partfs\n"
                    << LogTail(mount_->Log());
      mount_->Kill9();  // unblocks the writer (ENOTCONN)
      done.wait();
    }
    const double closed_after =
        std::chrono::duration<double>(writer_.close_returned - outage_start).count();
    std::printf(
        "[FaultOutage] retry_timeout=%d: accepted %llu bytes, write errno %d, close "
        "errno %d, close() returned %.1f s after the outage began\n",
        retry_timeout, static_cast<unsigned long long>(writer_.accepted.load()),
        writer_.write_errno, writer_.close_errno, closed_after);
    EXPECT_GT(proxy_.outage_refusals(), 0) << "the outage hit no request";
  }

  std::unique_ptr<ObjectStore> direct_;
  GeneratedWrite writer_;
  std::chrono::steady_clock::time_point outage_end_;
};

TEST_F(FaultOutageTest, OutageShorterThanRetryTimeoutIsInvisible) {
  WriteThroughOutage(60);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(writer_.write_errno, 0) << "after " << writer_.accepted << " bytes\n"
                                    << LogTail(mount_->Log());
  EXPECT_EQ(writer_.close_errno, 0)
      << "close() failed although the outage (20 s) was shorter than retry_timeout (60 s)\n"
      << LogTail(mount_->Log());
  // The object must be there at once; when close() failed, wait a little to
  // tell "late" from "lost" in the message.
  std::string diff = CompareObject(*direct_, kKey, writer_.key, kSize);
  if (!diff.empty() && writer_.close_errno != 0) {
    const bool late =
        PollUntil(60s, [&] { return CompareObject(*direct_, kKey, writer_.key, kSize).empty(); });
    const double after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - outage_end_).count();
    std::printf("[FaultOutage] retry_timeout=60: after the failed close the object %s\n",
                late ? ("arrived " + std::to_string(after) + " s after the outage").c_str()
                     : "did not arrive within 60 s");
  } else {
    EXPECT_EQ(diff, "");
  }
  if (writer_.close_errno == 0) {
    auto uploads = ListAllUploads(*direct_, "");
    ASSERT_TRUE(uploads.ok());
    EXPECT_TRUE(uploads->empty()) << uploads->size() << " multipart uploads left";
    EXPECT_TRUE(ReadJournal(mount_->cache_dir()).empty());
  }
}

TEST_F(FaultOutageTest, OutageLongerThanRetryTimeoutFailsCloseThenCompletesInTheSameMount) {
  WriteThroughOutage(5);
  ASSERT_FALSE(HasFatalFailure());
  // Honest close: the failure reached the writer.
  EXPECT_TRUE(writer_.write_errno == EIO || writer_.close_errno == EIO)
      << "write errno " << writer_.write_errno << ", close errno " << writer_.close_errno << "\n"
      << LogTail(mount_->Log());
  const uint64_t accepted = writer_.accepted;
  EXPECT_GE(accepted, kOutageAt);
  // The server is back: the same mount must finish the object by itself, with
  // exactly the accepted bytes (no remount, no new flush).
  std::string diff = "not checked";
  const bool completed = PollUntil(180s, [&] {
    diff = CompareObject(*direct_, kKey, writer_.key, accepted);
    return diff.empty();
  });
  const double after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - outage_end_).count();
  std::printf("[FaultOutage] retry_timeout=5: object %s %.1f s after the outage ended\n",
              completed ? "completed" : "NOT completed", after);
  EXPECT_TRUE(completed) << "180 s after the outage the object is still not the accepted "
                         << accepted << " bytes: " << diff << "\njournal:\n"
                         << PartfsStatus(mount_->cache_dir(), false).output << "\n"
                         << LogTail(mount_->Log());
  if (completed) {
    EXPECT_TRUE(PollUntil(30s, [&] { return ReadJournal(mount_->cache_dir()).empty(); }))
        << PartfsStatus(mount_->cache_dir(), false).output;
    auto uploads = ListAllUploads(*direct_, "");
    ASSERT_TRUE(uploads.ok());
    EXPECT_TRUE(uploads->empty()) << uploads->size() << " multipart uploads left";
  }
}

}  // namespace
}  // namespace partfs::testing
