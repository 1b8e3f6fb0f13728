// Crash tests where recovery must give up: a part file lost from the cache,
// and the multipart upload aborted on the server while partfs was dead. No
// object with wrong content may appear; the error is visible in the log and in
// `partfs status`; the data stays in lost+found/<id>/; the mount keeps working.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cache/cache_layout.h"
#include "gtest/gtest.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kSize = 40 * kMiB + 5000;  // 6 parts of 8 MiB
constexpr char kKey[] = "victim";

// A mount behind a FaultProxy; the server takes the first `uploaded` parts of
// `kKey` and rejects the others until dd has written everything, then answers
// 503 so close() keeps retrying; then kill -9. Leaves the proxy disarmed.
class ResumeFailureTest : public ResumeFixture {
 protected:
  ResumeFailureTest() : ResumeFixture("resume-failure") {}

  void CrashWithPartsUploaded(uint32_t uploaded) {
    proxy_.FailRequestsMatching({"PUT ", "partNumber="}, uploaded, 400, "InvalidRequest");
    ASSERT_NO_FATAL_FAILURE(StartMountThroughProxy());
    UrandomSource(kSize);
    ASSERT_FALSE(HasFatalFailure());
    ChildProcess dd(
        {"dd", "if=" + tmp_.Sub("source"), "of=" + mount_->File(kKey), "bs=1M", "status=none"},
        tmp_.Sub("dd.log"));
    // Until close() has accepted every byte (journaled with this boot's id): a
    // crash before that may rightly complete a prefix instead of failing.
    ASSERT_TRUE(PollUntil(60s, [&] {
      auto e = FindJournalEntry(mount_->cache_dir(), kKey);
      return dd.BytesWritten() >= static_cast<int64_t>(kSize) && e && e->parts.size() >= uploaded &&
             e->record.accepted_size == kSize;
    })) << mount_->Log();
    proxy_.FailRequestsMatching({"PUT ", "partNumber="});
    mount_->Kill9();
    dd.Wait(30s);
    proxy_.PassThrough();
    auto entry = FindJournalEntry(mount_->cache_dir(), kKey);
    ASSERT_TRUE(entry.has_value()) << mount_->Log();
    entry_ = *entry;
    ASSERT_EQ(entry_.parts.size(), uploaded);
    ASSERT_FALSE(entry_.record.upload_id.empty());
  }

  // Remounts and waits for recovery; then checks what every failure case shares.
  void RemountAndExpectFailure(const std::string& error_words) {
    ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(*mount_, 60s));

    // No object, in particular not a truncated or reassembled one.
    auto head = mount_->store().HeadObject(kKey);
    EXPECT_FALSE(head.ok()) << "an object was completed: " << head->size << " bytes\n"
                            << mount_->Log();
    // The record stays, failed, with the reason.
    auto entry = FindJournalEntry(mount_->cache_dir(), kKey);
    ASSERT_TRUE(entry.has_value()) << mount_->Log();
    EXPECT_EQ(entry->record.state, UploadState::kFailed);
    EXPECT_NE(entry->record.last_error.find(error_words), std::string::npos)
        << entry->record.last_error;
    EXPECT_NE(mount_->Log().find("recovery: cannot complete"), std::string::npos) << mount_->Log();
    // The data is kept for the operator.
    const std::string lost =
        CacheLayout(mount_->cache_dir()).LostFoundFileDir(entry_.record.file_id);
    EXPECT_TRUE(std::filesystem::is_directory(lost)) << lost;
    for (uint32_t n : kept_parts_) {
      EXPECT_TRUE(std::filesystem::exists(lost + "/part-" + std::to_string(n))) << n;
    }
    // `partfs status` names the file, its failed state and the error.
    auto status = PartfsStatus(mount_->cache_dir(), false);
    EXPECT_EQ(status.exit_code, 0) << status.output;
    EXPECT_NE(status.output.find(kKey), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("failed"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("error: "), std::string::npos) << status.output;
    EXPECT_NE(status.output.find(error_words), std::string::npos) << status.output;
    std::printf("[ResumeFailure] partfs status:\n%s", status.output.c_str());
    // No crash, and the mount still takes new files.
    EXPECT_TRUE(ProcessAlive(mount_->pid())) << mount_->Log();
    auto r = RunCommand("echo fresh > " + ShellQuote(mount_->File("fresh")) + " && cat " +
                            ShellQuote(mount_->File("fresh")),
                        std::chrono::seconds(30));
    EXPECT_EQ(r.output, "fresh\n") << mount_->Log();
    EXPECT_TRUE(mount_->store().HeadObject("fresh").ok());
  }

  JournalEntry entry_;
  std::vector<uint32_t> kept_parts_;  // part files expected in lost+found
};

TEST_F(ResumeFailureTest, MissingPartFileFailsCleanly) {
  CrashWithPartsUploaded(1);
  ASSERT_FALSE(HasFatalFailure());
  auto cached = CachedParts(mount_->cache_dir(), entry_.record.file_id);
  ASSERT_EQ(cached, (std::vector<uint32_t>{2, 3, 4, 5, 6}));
  // Lose part 3: parts 4..6 lie beyond a hole.
  ASSERT_EQ(::unlink(CacheLayout(mount_->cache_dir()).PartPath(entry_.record.file_id, 3).c_str()),
            0);
  kept_parts_ = {2, 4, 5, 6};
  RemountAndExpectFailure("part 3 of 6");
}

TEST_F(ResumeFailureTest, UploadAbortedBehindOurBackFailsCleanly) {
  CrashWithPartsUploaded(2);
  ASSERT_FALSE(HasFatalFailure());
  // Abort the upload directly on the server while partfs is dead.
  auto client = CreateS3Client(ClientOptions(server_, mount_->bucket()));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Status aborted = (*client)->AbortMultipartUpload(kKey, entry_.record.upload_id);
  ASSERT_TRUE(aborted.ok()) << aborted.ToString();
  kept_parts_ = {3, 4, 5, 6};
  RemountAndExpectFailure("no longer exists");
}

}  // namespace
}  // namespace partfs::testing
