// Crash safety of FileWriter (issue 10): what close() leaves in the journal and
// the cache when a step fails, short writes, lazy truncate growth and the
// in-mount retry of failed uploads. Each test pins one rule of the new design
// and fails on the code before it (63c8b76).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "cache/part_schedule.h"
#include "cache/recovery.h"
#include "tests/unit/crash_safety_fixture.h"

namespace partfs::testing {
namespace {

using Method = FaultyJournal::Method;

class CrashSafetyWriterTest : public CrashSafetyFixture {};

// Defect 1: the record went first only in the new code. When the journal's
// DeleteFile fails after a small file was PUT, the part file must stay with
// the record; the old code deleted it first, so the next mount PUT an empty
// body over the object.
TEST_F(CrashSafetyWriterTest, SmallFileKeepsItsPartFileWhileItsRecordOutlivesFinish) {
  UseFaultyJournal();
  OpenCache();
  auto w = Start("small.txt", {{"mode", "33188"}});
  const uint64_t id = FileIdOf("small.txt");
  const std::string data = TestBytes(3000, 1);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_NE(faulty_, nullptr);
  faulty_->Fail(Method::kDeleteFile, Status::IOError("injected: journal commit failed"), 1);

  Status finished = w->Finish();
  ASSERT_TRUE(finished.ok()) << "the object exists, close() succeeds: " << finished.ToString();
  EXPECT_EQ(store_.ObjectData("small.txt"), data);
  auto record = cache_->journal().GetFile(id);
  ASSERT_TRUE(record.ok()) << "the failed DeleteFile left the record";
  EXPECT_EQ(record->state, UploadState::kPendingComplete);
  EXPECT_EQ(record->accepted_size, data.size());
  ASSERT_TRUE(Exists(PartPath(id, 1))) << "a record never outlives its data";
  EXPECT_EQ(ReadFile(PartPath(id, 1)), data);
  w.reset();

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("small.txt"), data) << "recovery must not PUT a shorter body";
  EXPECT_EQ((*store_.ObjectMetadata("small.txt"))["mode"], "33188");
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(id)));
  EXPECT_FALSE(Exists(LostFound(id)));
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

// Defect 8: after CompleteMultipartUpload the record is kCompleted with the
// ETag. The metadata copy (metadata changed after Create) gives the object a
// new ETag, as on S3; with DeleteFile failing, the old code left a
// pending-complete record whose ETag check failed at the next mount, whose
// ListParts met NoSuchUpload, and which ended in lost+found with an ERROR.
TEST_F(CrashSafetyWriterTest, CompletedUploadWithLateMetadataIsAlreadyCompletedAtRecovery) {
  UseFaultyJournal();
  gated_.s3_copy_etags = true;
  OpenGatedCache();
  auto w = Start("meta.bin", {{"mode", "33188"}});
  const uint64_t id = FileIdOf("meta.bin");
  const std::string data = TestBytes(2 * kTestPart + 500, 2);
  ASSERT_TRUE(WriteRange(*w, data, 0, kTestPart + 10).ok());
  ASSERT_TRUE(w->UploadCreated());
  ASSERT_TRUE(w->SetMetadata({{"mode", "33152"}}));  // chmod after the first part
  ASSERT_TRUE(WriteRange(*w, data, kTestPart + 10, data.size()).ok());
  faulty_->Fail(Method::kDeleteFile, Status::IOError("injected: journal commit failed"), 1);

  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.ObjectData("meta.bin"), data);
  EXPECT_EQ((*store_.ObjectMetadata("meta.bin"))["mode"], "33152");
  auto record = cache_->journal().GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kCompleted);
  EXPECT_FALSE(record->completed_etag.empty());
  auto head = store_.HeadObject("meta.bin");
  ASSERT_TRUE(head.ok());
  EXPECT_NE(head->etag, record->completed_etag) << "the metadata copy changed the ETag, as on S3";
  w.reset();
  Crash();

  // The next mount's recovery of that record.
  auto journal = Journal::Open(layout_.JournalDir(), false);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  LogCapture log(dir_.Sub("recovery.log"));
  CacheOptions options = options_;
  options.logger = log.logger();
  RecoveryRunner runner(layout_, **journal, gated_, options);
  Status resumed = runner.ResumeFile(id);
  ASSERT_TRUE(resumed.ok()) << resumed.ToString();
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kAlreadyCompleted);
  EXPECT_EQ(log.Errors(), "");
  EXPECT_FALSE(Exists(LostFound(id)));
  EXPECT_FALSE((*journal)->GetFile(id).ok());
  EXPECT_EQ(store_.ObjectData("meta.bin"), data);
  EXPECT_EQ((*store_.ObjectMetadata("meta.bin"))["mode"], "33152");
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 1);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 3) << "nothing was sent again";
}

// Defect 8, second half: when the metadata copy itself failed, the kCompleted
// record lets recovery apply the journaled metadata (the old code found the
// object complete by its ETag and dropped the record: the chmod was lost).
TEST_F(CrashSafetyWriterTest, CompletedUploadWhoseMetadataCopyFailedGetsItAtRecovery) {
  UseFaultyJournal();
  OpenCache();
  auto w = Start("meta2.bin", {{"mode", "33188"}});
  const uint64_t id = FileIdOf("meta2.bin");
  const std::string data = TestBytes(2 * kTestPart + 500, 3);
  ASSERT_TRUE(WriteRange(*w, data, 0, kTestPart + 10).ok());
  ASSERT_TRUE(w->UploadCreated());
  ASSERT_TRUE(w->SetMetadata({{"mode", "33152"}}));
  ASSERT_TRUE(WriteRange(*w, data, kTestPart + 10, data.size()).ok());
  store_.FailOperation(Op::kCopyObject, Status::Unavailable("injected 503"), 1);
  faulty_->Fail(Method::kDeleteFile, Status::IOError("injected: journal commit failed"), 1);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ((*store_.ObjectMetadata("meta2.bin"))["mode"], "33188") << "the copy failed";
  ASSERT_EQ(cache_->journal().GetFile(id)->state, UploadState::kCompleted);
  w.reset();

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("meta2.bin"), data);
  EXPECT_EQ((*store_.ObjectMetadata("meta2.bin"))["mode"], "33152");
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 1);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(LostFound(id)));
}

// Defect 9: a failed upload whose writer is gone is retried in the mount with
// backoff (the old code waited for the next mount). Small file: PutObject.
// The fake clock drives the backoff: 5 s, then 10 s, capped at 20 s.
TEST_F(CrashSafetyWriterTest, FailedSmallUploadIsRetriedInTheMountOnceTheStoreWorks) {
  options_.retry_backoff = std::chrono::seconds(5);
  options_.retry_backoff_max = std::chrono::seconds(20);
  OpenCache();
  auto w = Start("retry.txt");
  const uint64_t id = FileIdOf("retry.txt");
  const std::string data = TestBytes(5000, 4);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  store_.FailOperation(Op::kPutObject, Status::Unavailable("injected 503"));
  EXPECT_EQ(w->Finish().code(), Status::Code::kUnavailable);
  const int puts = store_.Calls(Op::kPutObject);
  w.reset();  // close() reported EIO; nobody calls Finish again

  // The retry waits for its backoff: nothing is sent before 5 s have passed.
  ASSERT_TRUE(clock_.AwaitWaiters(1)) << "no in-mount retry was scheduled";
  auto record = cache_->journal().GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->retries, 1u);
  EXPECT_EQ(record->retry_at, clock_.WallSeconds() + 5);
  EXPECT_EQ(cache_->RetriesPending(), 1u);
  clock_.Advance(std::chrono::milliseconds(4999));
  EXPECT_EQ(store_.Calls(Op::kPutObject), puts) << "retried before its backoff";

  // While the store fails, each retry is journaled (partfs status) with a doubled backoff.
  clock_.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(WaitUntil([&] {
    auto r = cache_->journal().GetFile(id);
    return r.ok() && r->retries == 2;
  })) << "the retry after 5 s was not journaled";
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  EXPECT_EQ(store_.Calls(Op::kPutObject), puts + 1);
  EXPECT_EQ(cache_->journal().GetFile(id)->retry_at, clock_.WallSeconds() + 10);
  EXPECT_GE(cache_->RetriesPending(), 1u);
  EXPECT_FALSE(store_.ObjectData("retry.txt").has_value());

  store_.ClearFaults();
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(WaitUntil([&] {
    return cache_->RetriesPending() == 0 && store_.ObjectData("retry.txt") == data;
  })) << "the retry did not complete the object";
  EXPECT_EQ(store_.Calls(Op::kPutObject), puts + 2);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(id)));
  EXPECT_TRUE(WaitUntil([&] { return cache_->CachedBytes() == 0; }))
      << cache_->CachedBytes() << " bytes still counted";
}

// Defect 9, multipart: UploadPart failing.
TEST_F(CrashSafetyWriterTest, FailedMultipartUploadIsRetriedInTheMountOnceTheStoreWorks) {
  options_.retry_backoff = std::chrono::seconds(5);
  options_.retry_backoff_max = std::chrono::seconds(20);
  OpenCache();
  auto w = Start("retry.bin");
  const uint64_t id = FileIdOf("retry.bin");
  const std::string data = TestBytes(3 * kTestPart + 100, 5);
  store_.FailOperation(Op::kUploadPart, Status::Unavailable("injected 503"));
  ASSERT_TRUE(WriteAll(*w, data).ok());
  EXPECT_EQ(w->Finish().code(), Status::Code::kUnavailable);
  w.reset();

  // Three failed retries: 5, 10 and 20 s apart (the cap).
  for (uint32_t retries = 1; retries <= 3; ++retries) {
    ASSERT_TRUE(clock_.AwaitWaiters(1)) << "retry " << retries << " was not scheduled";
    auto record = cache_->journal().GetFile(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->retries, retries);
    const int64_t backoff = std::min<int64_t>(5 << (retries - 1), 20);
    EXPECT_EQ(record->retry_at, clock_.WallSeconds() + backoff);
    clock_.Advance(std::chrono::seconds(backoff));
    ASSERT_TRUE(WaitUntil([&] {
      auto r = cache_->journal().GetFile(id);
      return r.ok() && r->retries == retries + 1;
    })) << "retry "
        << retries << " did not run";
  }
  EXPECT_FALSE(store_.ObjectData("retry.bin").has_value());

  store_.ClearFaults();
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(std::chrono::seconds(20));
  ASSERT_TRUE(WaitUntil([&] {
    return cache_->RetriesPending() == 0 && store_.ObjectData("retry.bin") == data;
  })) << "the retry did not complete the object";
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_TRUE(WaitUntil([&] { return cache_->CachedBytes() == 0; }))
      << cache_->CachedBytes() << " bytes still counted";
}

// Defect 10: growing a file by truncate past the current part only records
// the size; the old code uploaded every zero part inside Truncate.
TEST_F(CrashSafetyWriterTest, TruncateToOneTebibyteUploadsNothing) {
  constexpr uint64_t kTiB = 1ull << 40;
  options_.profile.max_part_size = 5ull << 30;
  options_.profile.max_object_size = 5ull << 40;
  const PartSchedule schedule(options_.part_size,
                              PartSchedule::PartsPerStepFor(options_.part_size, options_.profile),
                              options_.profile.max_part_size, options_.profile.max_part_count);
  ASSERT_GE(schedule.MaxFileSize(), kTiB);
  OpenCache();
  auto w = Start("sparse");

  const auto start = std::chrono::steady_clock::now();
  Status grown = w->Truncate(kTiB);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(grown.ok()) << grown.ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(w->Size(), kTiB);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 0);
  EXPECT_EQ(store_.Calls(Op::kCreateMultipartUpload), 0);
  EXPECT_EQ(cache_->CachedBytes(), 0u);

  ASSERT_TRUE(w->Truncate(0).ok());
  const std::string data = TestBytes(2 * kTestPart + 123, 6);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.ObjectData("sparse"), data);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 3);
}

// Defect 13: a write whose second part cannot start (CreateMultipartUpload
// fails) reports the bytes it did accept, not an error for all of them.
TEST_F(CrashSafetyWriterTest, WriteSpanningTwoPartsReturnsAShortCountWhenTheUploadCannotStart) {
  OpenCache();
  auto w = Start("short.bin");
  const std::string data = TestBytes(kTestPart + 1000, 7);
  store_.FailOperation(Op::kCreateMultipartUpload, Status::Unavailable("injected 503"), 1);

  auto written = w->Write(0, data.data(), data.size());
  ASSERT_TRUE(written.ok()) << "bytes in the cache are never reported as failed: "
                            << written.status().ToString();
  EXPECT_EQ(*written, kTestPart);
  EXPECT_EQ(w->Size(), kTestPart);

  store_.ClearFaults();
  auto rest = w->Write(kTestPart, data.data() + kTestPart, data.size() - kTestPart);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(*rest, data.size() - kTestPart);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.ObjectData("short.bin"), data);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 2);
}

// Defect 14: a write after the upload finished is an I/O error (EIO), not
// InvalidArgument (EINVAL).
TEST_F(CrashSafetyWriterTest, WriteAfterFinishIsAnIOError) {
  OpenCache();
  auto w = Start("done.txt");
  ASSERT_TRUE(w->Write(0, "abc", 3).ok());
  ASSERT_TRUE(w->Finish().ok());
  auto late = w->Write(3, "d", 1);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Status::Code::kIOError) << late.status().ToString();
  EXPECT_EQ(store_.ObjectData("done.txt"), "abc");
}

// RecordFailure journals the full size (recovery's lower bound) only when the
// part files were made durable. A failing fsync of a part file cannot be
// produced on a real file system here; SyncPartFiles also fsyncs files/<id>/,
// and taking that directory away makes the same call fail.
TEST_F(CrashSafetyWriterTest, FailedFinishDoesNotJournalASizeItCouldNotSync) {
  OpenCache();
  auto w = Start("nosync.txt");
  const uint64_t id = FileIdOf("nosync.txt");
  const std::string data = TestBytes(3000, 8);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  const std::string away = FileDir(id) + ".away";
  ASSERT_EQ(std::rename(FileDir(id).c_str(), away.c_str()), 0);
  store_.FailOperation(Op::kPutObject, Status::Unavailable("injected 503"), 1);

  EXPECT_EQ(w->Finish().code(), Status::Code::kUnavailable);
  auto record = cache_->journal().GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kFailed);
  EXPECT_EQ(record->size, 0u) << "the size was not made durable";
  EXPECT_EQ(record->accepted_size, data.size());

  ASSERT_EQ(std::rename(away.c_str(), FileDir(id).c_str()), 0);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.ObjectData("nosync.txt"), data);
}

}  // namespace
}  // namespace partfs::testing
