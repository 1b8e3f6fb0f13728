// RecoveryRunner::ResumeFile / ResumeAll on journal + part-file states a
// crashed writer leaves, checked on whichever store the tier instantiates
// (see recovery_resume_cases.h): what the runner sends, and what the store
// holds afterwards.
#include "tests/shared/recovery_resume_cases.h"

#include <string>
#include <vector>

#include "cache/recovery.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

// 3 full parts + a 1 MiB tail.
constexpr uint64_t kFileSize = 3 * kRecPartSize + (1 << 20);

}  // namespace

void RecoveryResumeCases::CheckEveryPartUploaded(UploadState state, const std::string& key,
                                                 uint32_t seed) {
  const std::string data = TestBytes(kFileSize, seed);
  const std::string upload = Create(key);
  const uint64_t id = NewRecord(key, upload, state, kFileSize);
  for (uint32_t n = 1; n <= 4; ++n) UploadedPart(id, key, upload, n, PartBytes(data, n));
  const int before = UploadPartRequests(4);

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kCompleted);
  EXPECT_EQ(runner.LastResult(id).parts_resent, 0u);
  EXPECT_EQ(store_.upload_parts.load(), 0);
  EXPECT_EQ(store_.completes.load(), 1);
  EXPECT_EQ(UploadPartRequests(before) - before, 0);
  EXPECT_TRUE(ReadObject(key) == data);
}

void RecoveryResumeCases::CheckCompletedButNotJournaled(UploadState state, const std::string& key,
                                                        uint32_t seed) {
  const std::string data = TestBytes(kFileSize, seed);
  const std::string upload = Create(key);
  const uint64_t id = NewRecord(key, upload, state, kFileSize);
  std::vector<CompletedPart> parts;
  std::vector<std::string> md5s;
  for (uint32_t n = 1; n <= 4; ++n) {
    UploadedPart(id, key, upload, n, PartBytes(data, n));
    parts.push_back({n, HexEncode(Md5(PartBytes(data, n)))});
    md5s.push_back(Md5(PartBytes(data, n)));
  }
  // Crash between Complete and DeleteFile.
  ASSERT_TRUE(server().CompleteMultipartUpload(key, upload, parts, MultipartEtag(md5s)).ok());
  const int before = UploadPartRequests(4);

  RecoveryRunner runner = MakeRunner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kAlreadyCompleted);
  EXPECT_EQ(store_.upload_parts.load(), 0);
  EXPECT_EQ(store_.completes.load(), 0);
  // Decided by HEAD + ETag, not by ListParts (Swift keeps answering ListParts after Complete).
  EXPECT_EQ(store_.lists.load(), 0);
  EXPECT_EQ(UploadPartRequests(before) - before, 0);
  EXPECT_FALSE(journal_->GetFile(id).ok());
  EXPECT_TRUE(ReadObject(key) == data);
}

namespace {

TEST_P(RecoveryResumeCases, UploadsOnlyTheMissingParts) {
  const std::string data = TestBytes(kFileSize, 1);
  const std::string upload = Create("dir/a.bin");
  const uint64_t id = NewRecord("dir/a.bin", upload);
  UploadedPart(id, "dir/a.bin", upload, 1, PartBytes(data, 1));
  UploadedPart(id, "dir/a.bin", upload, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));
  const int before = UploadPartRequests(2);

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  ASSERT_TRUE(st.ok()) << st.ToString();
  FileRecoveryResult result = runner.LastResult(id);
  EXPECT_EQ(result.outcome, RecoveryOutcome::kCompleted);
  EXPECT_EQ(result.parts_resent, 2u);
  EXPECT_EQ(store_.upload_parts.load(), 2);
  EXPECT_EQ(store_.completes.load(), 1);
  EXPECT_EQ(UploadPartRequests(before + 2) - before, 2);
  EXPECT_TRUE(ReadObject("dir/a.bin") == data);
  EXPECT_FALSE(journal_->GetFile(id).ok());
  EXPECT_FALSE(Exists(layout_.FileDir(id)));
  auto info = server().HeadObject("dir/a.bin");
  ASSERT_TRUE(info.ok());
  std::vector<std::string> md5s;
  for (uint32_t n = 1; n <= 4; ++n) md5s.push_back(Md5(PartBytes(data, n)));
  EXPECT_EQ(info->etag, MultipartEtag(md5s));
  EXPECT_EQ(info->user_metadata["mode"], "33188");
}

TEST_P(RecoveryResumeCases, ResendsNothingWhenEveryPartWasUploaded) {
  CheckEveryPartUploaded(UploadState::kPendingComplete, "b", 2);
}

TEST_P(RecoveryResumeCases, ResendsNothingWhenEveryPartOfAnFsyncedWriteWasUploaded) {
  CheckEveryPartUploaded(UploadState::kWriting, "b-writing", 3);
}

TEST_P(RecoveryResumeCases, DetectsCompletedButNotJournaledByEtag) {
  CheckCompletedButNotJournaled(UploadState::kPendingComplete, "c", 4);
}

TEST_P(RecoveryResumeCases, DetectsCompletedButNotJournaledByEtagOfAnFsyncedWrite) {
  CheckCompletedButNotJournaled(UploadState::kWriting, "c-writing", 5);
}

TEST_P(RecoveryResumeCases, AdoptsServerPartUnknownToJournalWhenMd5Matches) {
  const std::string data = TestBytes(kFileSize, 6);
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

TEST_P(RecoveryResumeCases, UploadAbortedBehindOurBackFailsAndMovesDataAside) {
  const std::string data = TestBytes(kFileSize, 8);
  const std::string upload = Create("h");
  const uint64_t id = NewRecord("h", upload);
  UploadedPart(id, "h", upload, 1, PartBytes(data, 1));
  for (uint32_t n = 2; n <= 4; ++n) CachedPart(id, n, PartBytes(data, n));
  ASSERT_TRUE(server().AbortMultipartUpload("h", upload).ok());

  RecoveryRunner runner = MakeRunner();
  Status st = runner.ResumeFile(id);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kFailed);
  EXPECT_EQ(store_.completes.load(), 0);
  EXPECT_FALSE(server().HeadObject("h").ok());
  auto record = journal_->GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kFailed);
  EXPECT_NE(record->last_error.find("no longer exists"), std::string::npos) << record->last_error;
  for (uint32_t n = 2; n <= 4; ++n) {
    EXPECT_TRUE(Exists(LostDir(id) + "/part-" + std::to_string(n))) << n;
  }
  EXPECT_TRUE(Exists(LostDir(id) + "/RECORD.txt"));
  EXPECT_FALSE(Exists(layout_.FileDir(id)));

  // A second run leaves it alone.
  RecoveryRunner again = MakeRunner();
  EXPECT_TRUE(again.ResumeFile(id).ok());
  EXPECT_EQ(again.LastResult(id).outcome, RecoveryOutcome::kSkipped);
  EXPECT_TRUE(Exists(LostDir(id) + "/part-2"));
}

TEST_P(RecoveryResumeCases, ResumeAllRecoversManyFilesAndTheNewestWriteOfAKeyWins) {
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
