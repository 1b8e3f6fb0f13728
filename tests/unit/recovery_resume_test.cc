// RecoveryRunner::ResumeFile on journal + part-file states a crashed writer
// leaves, on the fake store: the cases shared with the integration tier
// (tests/shared/recovery_resume_cases.cc) and those that need the fake's
// counters or fault injection.
#include <gtest/gtest.h>

#include "cache/recovery.h"
#include "tests/shared/recovery_resume_cases.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Unit, RecoveryResumeCases,
                         ::testing::Values(RecoveryBackendParam{"FakeStore",
                                                                &MakeFakeRecoveryBackend}),
                         RecoveryBackendName);

using RecoveryResumeTest = RecoveryFixture;

// 3 full parts + a 1 MiB tail.
constexpr uint64_t kFileSize = 3 * kRecPartSize + (1 << 20);

TEST_F(RecoveryResumeTest, ResendsServerPartWhoseMd5DiffersFromTheCache) {
  const std::string data = TestBytes(kFileSize, 5);
  const std::string upload = Create("e");
  const uint64_t id = NewRecord("e", upload);
  UploadedPart(id, "e", upload, 1, PartBytes(data, 1));
  UploadToServer("e", upload, 2, TestBytes(kRecPartSize, 99));  // other bytes
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).parts_adopted, 0u);
  EXPECT_EQ(store_.upload_parts.load(), 3);
  EXPECT_TRUE(ReadObject("e") == data);
}

TEST_F(RecoveryResumeTest, StaleCopyOfAJournaledPartIsNotResent) {
  const std::string data = TestBytes(kFileSize, 6);
  const std::string upload = Create("f");
  const uint64_t id = NewRecord("f", upload);
  UploadedPart(id, "f", upload, 1, PartBytes(data, 1));
  UploadedPart(id, "f", upload, 2, PartBytes(data, 2));
  CachedPart(id, 2, PartBytes(data, 2));  // crash between PutPart and unlink
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(store_.upload_parts.load(), 2);
  EXPECT_TRUE(ReadObject("f") == data);
  EXPECT_FALSE(Exists(layout_.FileDir(id)));
}

TEST_F(RecoveryResumeTest, LeavesForeignBucketRecordUntouched) {
  const std::string data = TestBytes(kFileSize, 7);
  const uint64_t id =
      NewRecord("g", "upload-of-another-bucket", UploadState::kWriting, 0, "another-bucket");
  CachedPart(id, 1, PartBytes(data, 1));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kForeign);
  EXPECT_EQ(store_.heads.load() + store_.lists.load() + store_.upload_parts.load() +
                store_.completes.load() + store_.puts.load() + store_.creates.load(),
            0);
  auto record = journal_->GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kWriting);
  EXPECT_EQ(record->bucket, "another-bucket");
  EXPECT_TRUE(Exists(layout_.PartPath(id, 1)));
}

TEST_F(RecoveryResumeTest, AbortedUploadWithAllDataCachedStartsANewUpload) {
  const std::string data = TestBytes(kFileSize, 9);
  const std::string upload = Create("i");
  const uint64_t id = NewRecord("i", upload);
  for (uint32_t n = 1; n <= 4; ++n) CachedPart(id, n, PartBytes(data, n));
  ASSERT_TRUE(fake_.AbortMultipartUpload("i", upload).ok());

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(store_.creates.load(), 1);
  EXPECT_TRUE(ReadObject("i") == data);
}

// Power loss beyond the last fsync (issue 10, defect 6): the longest valid
// prefix is completed, the part files after the gap go to lost+found.
TEST_F(RecoveryResumeTest, MissingPartFileCompletesThePrefixAndKeepsTheRest) {
  const std::string data = TestBytes(kFileSize, 10);
  const std::string upload = Create("j");
  const uint64_t id = NewRecord("j", upload);
  UploadedPart(id, "j", upload, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 4, PartBytes(data, 4));  // part 3 lost

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(ReadObject("j") == PartBytes(data, 1) + PartBytes(data, 2));
  EXPECT_FALSE(journal_->GetFile(id).ok());
  const std::string lost = layout_.LostFoundFileDir(id);
  EXPECT_TRUE(Exists(lost + "/part-4"));
  EXPECT_TRUE(Exists(lost + "/FRAGMENTS.txt"));
  EXPECT_FALSE(Exists(lost + "/part-2"));
}

TEST_F(RecoveryResumeTest, ShortPartFileInTheMiddleEndsThePrefix) {
  const std::string data = TestBytes(kFileSize, 11);
  const std::string upload = Create("k");
  const uint64_t id = NewRecord("k", upload);
  CachedPart(id, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2).substr(0, 1000));
  CachedPart(id, 3, PartBytes(data, 3));

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(ReadObject("k") == PartBytes(data, 1) + PartBytes(data, 2).substr(0, 1000));
  EXPECT_TRUE(Exists(layout_.LostFoundFileDir(id) + "/part-3"));
}

TEST_F(RecoveryResumeTest, GapBelowTheFsyncedSizeIsDamage) {
  const std::string data = TestBytes(kFileSize, 13);
  const std::string upload = Create("k2");
  // fsync made all of it durable, yet part 3 is gone: nothing is completed.
  const uint64_t id = NewRecord("k2", upload, UploadState::kWriting, kFileSize);
  UploadedPart(id, "k2", upload, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 4, PartBytes(data, 4));

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("part 3"), std::string::npos) << st.ToString();
  EXPECT_EQ(store_.upload_parts.load() + store_.completes.load() + store_.puts.load(), 0);
  EXPECT_FALSE(fake_.HeadObject("k2").ok());
  EXPECT_EQ(journal_->GetFile(id)->state, UploadState::kFailed);
  const std::string lost = layout_.LostFoundFileDir(id);
  EXPECT_TRUE(Exists(lost + "/part-2"));
  EXPECT_TRUE(Exists(lost + "/part-4"));
}

TEST_F(RecoveryResumeTest, LostTailPartIsCaughtByTheJournaledSize) {
  const std::string data = TestBytes(kFileSize, 12);
  const std::string upload = Create("l");
  // fsync journaled all 4 parts' worth of bytes; the tail part file vanished.
  const uint64_t id = NewRecord("l", upload, UploadState::kWriting, kFileSize);
  UploadedPart(id, "l", upload, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_EQ(store_.completes.load(), 0);
  EXPECT_FALSE(fake_.HeadObject("l").ok());
}

TEST_F(RecoveryResumeTest, SmallFileWithoutUploadIdIsPut) {
  const std::string data = TestBytes(1000, 13);
  const uint64_t id = NewRecord("small.txt");
  CachedPart(id, 1, data);

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(store_.puts.load(), 1);
  EXPECT_EQ(store_.creates.load(), 0);
  EXPECT_TRUE(ReadObject("small.txt") == data);
  auto info = fake_.HeadObject("small.txt");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->user_metadata["mode"], "33188");
  EXPECT_FALSE(journal_->GetFile(id).ok());
}

TEST_F(RecoveryResumeTest, EmptyFileBecomesAnEmptyObject) {
  const uint64_t id = NewRecord("empty");
  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  auto info = fake_.HeadObject("empty");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 0u);
}

TEST_F(RecoveryResumeTest, SeveralPartFilesWithoutUploadIdGetANewUpload) {
  // Crash after part 1 filled, before the upload id was journaled.
  const std::string data = TestBytes(kRecPartSize + 4096, 14);
  const uint64_t id = NewRecord("m");
  CachedPart(id, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(store_.creates.load(), 1);
  EXPECT_EQ(store_.upload_parts.load(), 2);
  EXPECT_TRUE(ReadObject("m") == data);
}

TEST_F(RecoveryResumeTest, TransientFailureKeepsDataInPlaceForTheNextMount) {
  const std::string data = TestBytes(kFileSize, 15);
  const std::string upload = Create("n");
  const uint64_t id = NewRecord("n", upload);
  UploadedPart(id, "n", upload, 1, PartBytes(data, 1));
  for (uint32_t n = 2; n <= 4; ++n) CachedPart(id, n, PartBytes(data, n));
  store_.fail_upload_part = true;

  {
    RecoveryRunner runner = MakeRunner();
    EXPECT_EQ(runner.ResumeFile(id).code(), Status::Code::kUnavailable);
    EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kRetryLater);
  }
  auto record = journal_->GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kFailed);
  EXPECT_FALSE(record->last_error.empty());
  EXPECT_TRUE(Exists(layout_.PartPath(id, 2)));
  EXPECT_FALSE(Exists(layout_.LostFoundFileDir(id)));

  store_.fail_upload_part = false;  // the next mount
  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_TRUE(ReadObject("n") == data);
}

}  // namespace
}  // namespace partfs::testing
