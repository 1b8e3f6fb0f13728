// RecoveryRunner::ResumeFile on journal + part-file states a crashed writer leaves.
#include <gtest/gtest.h>

#include "cache/recovery.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {
namespace {

using RecoveryResumeTest = RecoveryFixture;

// 3 full parts + a 1 MiB tail.
constexpr uint64_t kFileSize = 3 * kRecPartSize + (1 << 20);

TEST_F(RecoveryResumeTest, UploadsOnlyTheMissingParts) {
  const std::string data = TestBytes(kFileSize, 1);
  const std::string upload = Create("dir/a.bin");
  const uint64_t id = NewRecord("dir/a.bin", upload);
  UploadedPart(id, "dir/a.bin", upload, 1, PartBytes(data, 1));
  UploadedPart(id, "dir/a.bin", upload, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  FileRecoveryResult result = runner.LastResult(id);
  EXPECT_EQ(result.outcome, RecoveryOutcome::kCompleted);
  EXPECT_EQ(result.parts_resent, 2u);
  EXPECT_EQ(store_.upload_parts.load(), 2);
  EXPECT_EQ(store_.completes.load(), 1);
  EXPECT_TRUE(ReadObject("dir/a.bin") == data);
  EXPECT_FALSE(journal_->GetFile(id).ok());
  EXPECT_FALSE(Exists(layout_.FileDir(id)));
  auto info = fake_.HeadObject("dir/a.bin");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->user_metadata["mode"], "33188");
}

TEST_F(RecoveryResumeTest, ResendsNothingWhenEveryPartWasUploaded) {
  const std::string data = TestBytes(kFileSize, 2);
  const std::string upload = Create("b");
  const uint64_t id = NewRecord("b", upload, UploadState::kPendingComplete, kFileSize);
  for (uint32_t n = 1; n <= 4; ++n) UploadedPart(id, "b", upload, n, PartBytes(data, n));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kCompleted);
  EXPECT_EQ(store_.upload_parts.load(), 0);
  EXPECT_EQ(store_.completes.load(), 1);
  EXPECT_TRUE(ReadObject("b") == data);
}

TEST_F(RecoveryResumeTest, DetectsCompletedButNotJournaledByEtag) {
  const std::string data = TestBytes(kFileSize, 3);
  const std::string upload = Create("c");
  const uint64_t id = NewRecord("c", upload, UploadState::kPendingComplete, kFileSize);
  std::vector<CompletedPart> parts;
  for (uint32_t n = 1; n <= 4; ++n) {
    UploadedPart(id, "c", upload, n, PartBytes(data, n));
    parts.push_back({n, HexEncode(Md5(PartBytes(data, n)))});
  }
  // Crash between Complete and DeleteFile.
  ASSERT_TRUE(fake_.CompleteMultipartUpload("c", upload, parts, "").ok());

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kAlreadyCompleted);
  EXPECT_EQ(store_.upload_parts.load(), 0);
  EXPECT_EQ(store_.completes.load(), 0);
  EXPECT_EQ(store_.lists.load(), 0);  // decided by HEAD, not by ListParts
  EXPECT_FALSE(journal_->GetFile(id).ok());
  EXPECT_TRUE(ReadObject("c") == data);
}

TEST_F(RecoveryResumeTest, AdoptsServerPartUnknownToJournalWhenMd5Matches) {
  const std::string data = TestBytes(kFileSize, 4);
  const std::string upload = Create("d");
  const uint64_t id = NewRecord("d", upload);
  UploadedPart(id, "d", upload, 1, PartBytes(data, 1));
  // Part 2 reached the server but the crash came before PutPart: file still cached.
  UploadToServer("d", upload, 2, PartBytes(data, 2));
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  FileRecoveryResult result = runner.LastResult(id);
  EXPECT_EQ(result.parts_adopted, 1u);
  EXPECT_EQ(result.parts_resent, 2u);
  EXPECT_EQ(store_.upload_parts.load(), 2);
  EXPECT_TRUE(ReadObject("d") == data);
}

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

TEST_F(RecoveryResumeTest, UploadAbortedBehindOurBackFailsAndMovesDataAside) {
  const std::string data = TestBytes(kFileSize, 8);
  const std::string upload = Create("h");
  const uint64_t id = NewRecord("h", upload);
  UploadedPart(id, "h", upload, 1, PartBytes(data, 1));
  CachedPart(id, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  ASSERT_TRUE(fake_.AbortMultipartUpload("h", upload).ok());

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kFailed);
  EXPECT_EQ(store_.completes.load(), 0);
  EXPECT_FALSE(fake_.HeadObject("h").ok());
  auto record = journal_->GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kFailed);
  EXPECT_NE(record->last_error.find("no longer exists"), std::string::npos) << record->last_error;
  const std::string lost = layout_.LostFoundDir() + "/" + std::to_string(id);
  EXPECT_TRUE(Exists(lost + "/part-2"));
  EXPECT_TRUE(Exists(lost + "/part-3"));
  EXPECT_TRUE(Exists(lost + "/RECORD.txt"));
  EXPECT_FALSE(Exists(layout_.FileDir(id)));

  // A second run leaves it alone.
  RecoveryRunner again = MakeRunner();
  EXPECT_TRUE(again.ResumeFile(id).ok());
  EXPECT_EQ(again.LastResult(id).outcome, RecoveryOutcome::kSkipped);
  EXPECT_TRUE(Exists(lost + "/part-2"));
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
  const std::string lost = layout_.LostFoundDir() + "/" + std::to_string(id);
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
  EXPECT_TRUE(Exists(layout_.LostFoundDir() + "/" + std::to_string(id) + "/part-3"));
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
  const std::string lost = layout_.LostFoundDir() + "/" + std::to_string(id);
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
  EXPECT_FALSE(Exists(layout_.LostFoundDir() + "/" + std::to_string(id)));

  store_.fail_upload_part = false;  // the next mount
  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_TRUE(ReadObject("n") == data);
}

TEST_F(RecoveryResumeTest, ResumeAllRecoversManyFilesAndTheNewestWriteOfAKeyWins) {
  std::vector<std::string> datas;
  for (uint32_t i = 0; i < 8; ++i) {
    const std::string key = "many/" + std::to_string(i);
    datas.push_back(TestBytes(2 * kRecPartSize + 777 * (i + 1), 100 + i));
    const std::string upload = Create(key);
    const uint64_t id = NewRecord(key, upload);
    UploadedPart(id, key, upload, 1, PartBytes(datas[i], 1));
    CachedPart(id, 2, PartBytes(datas[i], 2));
    CachedPart(id, 3, PartBytes(datas[i], 3));
  }
  // Two crashed writes of one key: the later record must land last.
  const std::string old_data = TestBytes(3000, 200), new_data = TestBytes(4000, 201);
  CachedPart(NewRecord("same"), 1, old_data);
  CachedPart(NewRecord("same"), 1, new_data);

  RecoveryRunner runner = MakeRunner();
  RecoveryReport report = runner.ResumeAll(4);
  EXPECT_EQ(report.files_seen, 10u);
  EXPECT_EQ(report.files_completed, 10u);
  EXPECT_EQ(report.parts_resent, 16u);
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(ReadObject("many/" + std::to_string(i)) == datas[i]) << i;
  }
  EXPECT_TRUE(ReadObject("same") == new_data);
  EXPECT_TRUE(journal_->ListFiles()->empty());
}

}  // namespace
}  // namespace partfs::testing
