// Generations of a key (issue 10): a newer write, an unlink or a rename onto a
// key retires the older records of it, so neither a live writer, the in-mount
// retry nor the next mount's recovery brings an older version back; journaled
// renames are rolled forward after a crash. Each test fails on 63c8b76; the
// last five also on 2abb9b4 (fixed by 7bc1360).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/crash_safety_fixture.h"

namespace partfs::testing {
namespace {

// Holds the key lock of `key` on another thread for `hold`: a recovery step
// that needs it is delayed as a slow start of the recovery thread would delay
// it, without deadlocking a StartRecovery that takes the lock itself.
class KeyHolder {
 public:
  KeyHolder(WriteCache* cache, const std::string& key, std::chrono::milliseconds hold) {
    std::atomic<bool> locked{false};
    thread_ = std::thread([cache, key, hold, &locked] {
      auto guard = cache->LockKey(key);
      locked = true;
      std::this_thread::sleep_for(hold);
    });
    while (!locked.load()) std::this_thread::yield();
  }
  ~KeyHolder() { thread_.join(); }
  KeyHolder(const KeyHolder&) = delete;
  KeyHolder& operator=(const KeyHolder&) = delete;

 private:
  std::thread thread_;
};

class CrashSafetyGenerationsTest : public CrashSafetyFixture {
 protected:
  // A small write of `key` whose PutObject failed: record kFailed with the
  // data (accepted) in its part file; the writer is gone (close() got EIO).
  uint64_t FailedSmallWrite(const std::string& key, const std::string& data) {
    auto w = Start(key);
    const uint64_t id = FileIdOf(key);
    EXPECT_TRUE(WriteAll(*w, data).ok());
    store_.FailOperation(Op::kPutObject, Status::Unavailable("injected 503"), 1);
    EXPECT_EQ(w->Finish().code(), Status::Code::kUnavailable);
    auto record = cache_->journal().GetFile(id);
    EXPECT_TRUE(record.ok() && record->state == UploadState::kFailed);
    return id;
  }

  // Unlink as the FUSE layer does it: under the key lock, retire, delete.
  void Unlink(const std::string& key) {
    auto guard = cache_->LockKey(key);
    ASSERT_TRUE(cache_->RetireKey(key).ok());
    Status deleted = store_.DeleteObject(key);
    ASSERT_TRUE(deleted.ok() || deleted.IsNotFound());
  }
};

// A failed record of K, then a successful newer write of K: the next mount
// must not PUT the failed old data over the new object (the old code did).
TEST_F(CrashSafetyGenerationsTest, FailedRecordSupersededByANewerWriteStaysSuperseded) {
  OpenCache();
  const std::string old_data = TestBytes(3000, 1), new_data = TestBytes(4000, 2);
  const uint64_t old_id = FailedSmallWrite("k", old_data);
  auto w = Start("k");
  ASSERT_TRUE(WriteAll(*w, new_data).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(cache_->journal().GetFile(old_id)->state, UploadState::kRetired);
  w.reset();

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("k"), new_data);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(old_id)));
  // close() had accepted the old bytes: they are kept for the operator.
  EXPECT_EQ(ReadFile(LostFound(old_id) + "/part-1"), old_data);
}

// A failed record of K, then K unlinked: the next mount must not recreate K.
TEST_F(CrashSafetyGenerationsTest, FailedRecordOfAnUnlinkedKeyIsNotResurrected) {
  OpenCache();
  const uint64_t id = FailedSmallWrite("gone", TestBytes(3000, 3));
  Unlink("gone");
  EXPECT_EQ(cache_->journal().GetFile(id)->state, UploadState::kRetired);

  RemountAndRecover();
  EXPECT_FALSE(store_.ObjectData("gone").has_value());
  EXPECT_EQ(store_.Calls(Op::kPutObject), 1) << "only the failed PUT of the first mount";
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(id)));
}

// A writer of K, K unlinked while it writes, then the process dies before
// close: K stays absent and the upload is aborted (the old code completed it).
TEST_F(CrashSafetyGenerationsTest, WriterUnlinkedMidWriteThenCrashIsNotResurrected) {
  OpenCache();
  const std::string data = TestBytes(3 * kTestPart + 50, 4);
  uint64_t id = 0;
  {
    auto w = Start("doomed");
    id = FileIdOf("doomed");
    ASSERT_TRUE(WriteRange(*w, data, 0, 2 * kTestPart + 10).ok());
    ASSERT_TRUE(w->UploadCreated());
    Unlink("doomed");
    ASSERT_EQ(cache_->journal().GetFile(id)->state, UploadState::kRetired)
        << "the unlink is durable before the crash";
    EXPECT_TRUE(WriteRange(*w, data, 2 * kTestPart + 10, data.size()).ok());
  }  // no Finish: the process dies with the file open

  RemountAndRecover();
  EXPECT_FALSE(store_.ObjectData("doomed").has_value());
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 0);
  EXPECT_EQ(store_.Calls(Op::kPutObject), 0);
  EXPECT_EQ(store_.OpenUploads(), 0u) << "the unlinked write's upload is aborted";
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(id)));
}

// A writer detached by an unlink (its file was unlinked, a new file of the
// same name written) finishes without completing: OK for close(), its
// multipart upload aborted, the newer object untouched.
TEST_F(CrashSafetyGenerationsTest, RetiredWriterFinishAbortsItsUploadAndLeavesTheNewerObject) {
  OpenCache();
  const std::string a_data = TestBytes(2 * kTestPart + 700, 5), b_data = "new";
  auto a = Start("x");
  const uint64_t a_id = FileIdOf("x");
  ASSERT_TRUE(WriteRange(*a, a_data, 0, kTestPart + 100).ok());
  ASSERT_TRUE(a->UploadCreated());
  Unlink("x");
  ASSERT_TRUE(WriteRange(*a, a_data, kTestPart + 100, a_data.size()).ok());  // still writable
  auto b = Start("x");
  ASSERT_TRUE(b->Write(0, b_data.data(), b_data.size()).ok());
  ASSERT_TRUE(b->Finish().ok());

  Status finished = a->Finish();
  EXPECT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_TRUE(a->Finished());
  EXPECT_EQ(store_.ObjectData("x"), b_data);
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 0);
  EXPECT_GE(store_.Calls(Op::kAbortMultipartUpload), 1);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_FALSE(cache_->journal().GetFile(a_id).ok());
  EXPECT_FALSE(Exists(FileDir(a_id)));
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

// rsync's temp-file-and-rename over a file still open for writing: Rekey
// retires the open file's record, its Finish drops its data.
TEST_F(CrashSafetyGenerationsTest, RekeyOntoAKeyRetiresTheWriterOfThatKey) {
  OpenCache();
  const std::string x_data = TestBytes(2000, 6), t_data = TestBytes(2500, 7);
  auto x = Start("x");
  const uint64_t x_id = FileIdOf("x");
  ASSERT_TRUE(WriteAll(*x, x_data).ok());
  auto t = Start("tmp");
  ASSERT_TRUE(WriteAll(*t, t_data).ok());
  {
    auto guard = cache_->LockKeys("tmp", "x");
    ASSERT_TRUE(t->Rekey("x").ok());
  }
  EXPECT_EQ(cache_->journal().GetFile(x_id)->state, UploadState::kRetired);
  ASSERT_TRUE(t->Finish().ok());
  ASSERT_TRUE(x->Finish().ok());
  EXPECT_EQ(store_.ObjectData("x"), t_data);
  EXPECT_FALSE(store_.ObjectData("tmp").has_value());
  EXPECT_EQ(store_.Calls(Op::kPutObject), 1);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
}

// rsync's empty temp file: close() completes nothing (no write), the kernel's
// asynchronous release PUTs it while rename(2) already waits for the key lock.
// Once the PUT has landed under the old key the writer counts as finished, so
// the rename copies the object instead of rekeying a write that is done (the
// old code rekeyed in the window before Cleanup, deleted the old key and lost
// the file; seen once in CI). Repeated: the window was a few instructions.
TEST_F(CrashSafetyGenerationsTest, RenameWaitingForALandedPutCopiesTheObject) {
  OpenGatedCache();
  for (int round = 0; round < 20; ++round) {
    const std::string from = "tmp" + std::to_string(round), to = "f" + std::to_string(round);
    auto w = Start(from);
    gated_.Close(Op::kPutObject, from);
    std::thread release([&] { EXPECT_TRUE(w->Finish().ok()); });
    ASSERT_TRUE(gated_.WaitUntilHeld()) << "the release never sent its PUT";
    std::atomic<bool> waiting{false};
    std::thread rename([&] {
      waiting = true;
      auto guard = cache_->LockKeys(from, to);  // held by the PUT until it lands
      if (!w->Finished()) {
        ASSERT_TRUE(w->Rekey(to).ok());
      } else {
        ASSERT_TRUE(gated_.CopyObject(from, to, MetadataDirective::kCopy, {}).ok());
      }
      Status deleted = gated_.DeleteObject(from);
      EXPECT_TRUE(deleted.ok() || deleted.IsNotFound()) << deleted.ToString();
    });
    while (!waiting.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    gated_.Open();
    release.join();
    rename.join();
    EXPECT_TRUE(store_.ObjectData(to).has_value()) << "round " << round << ": the file is lost";
    EXPECT_FALSE(store_.ObjectData(from).has_value());
  }
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
}

// Recovery of a crashed multipart write of K is held in the middle of its
// upload (UploadPart of the tail) while the new mount writes K anew: the
// newer write wins, the old upload is aborted, its record dropped.
TEST_F(CrashSafetyGenerationsTest, RecoveryMidUploadLosesToANewerWrite) {
  OpenCache();
  const std::string old_data = TestBytes(2 * kTestPart + 100, 8), new_data = "the newest version";
  uint64_t old_id = 0;
  {
    auto w = Start("k");
    old_id = FileIdOf("k");
    ASSERT_TRUE(WriteAll(*w, old_data).ok());
    ASSERT_TRUE(w->Sync().ok());
  }  // crash with the file open: parts 1-2 uploaded, the tail cached
  Crash();

  OpenGatedCache();
  gated_.Close(Op::kUploadPart, "k");
  ASSERT_TRUE(cache_->StartRecovery().ok());
  ASSERT_TRUE(gated_.WaitUntilHeld()) << "recovery never sent the tail part";
  auto w = Start("k");
  ASSERT_TRUE(w->Write(0, new_data.data(), new_data.size()).ok());
  ASSERT_TRUE(w->Finish().ok());
  gated_.Open();
  cache_->WaitForRecovery();

  EXPECT_EQ(store_.ObjectData("k"), new_data);
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 0);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(FileDir(old_id)));
  EXPECT_FALSE(Exists(LostFound(old_id))) << "close() never accepted the old write";
  w.reset();
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

// Recovery of a failed (closed, accepted) small write of K waits for K's lock
// while the new mount writes K anew: the newer write wins and the old bytes
// go to lost+found instead of over the new object.
TEST_F(CrashSafetyGenerationsTest, RecoveryWaitingForTheKeyLosesToANewerWriteAndKeepsTheOldData) {
  OpenCache();
  const std::string old_data = TestBytes(3000, 9), new_data = TestBytes(1000, 10);
  const uint64_t old_id = FailedSmallWrite("k", old_data);
  Crash();

  OpenCache();
  std::shared_ptr<FileWriter> w;
  {
    auto hold = cache_->LockKey("k");  // recovery's completion waits here
    ASSERT_TRUE(cache_->StartRecovery().ok());
    w = Start("k");
    ASSERT_TRUE(WriteAll(*w, new_data).ok());
  }
  ASSERT_TRUE(w->Finish().ok());
  cache_->WaitForRecovery();

  EXPECT_EQ(store_.ObjectData("k"), new_data);
  EXPECT_EQ(store_.Calls(Op::kPutObject), 2) << "the failed PUT and the new one, none by recovery";
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_EQ(ReadFile(LostFound(old_id) + "/part-1"), old_data);
  EXPECT_FALSE(Exists(FileDir(old_id)));
}

// Defect 15: a rename of a closed object journaled before its CopyObject, the
// crash before the copy: the next mount rolls it forward.
TEST_F(CrashSafetyGenerationsTest, RenameCrashedBeforeTheCopyIsRolledForward) {
  OpenCache();
  const std::string data = TestBytes(5000, 11);
  ASSERT_TRUE(store_.PutObjectFromString("a", data, {{"mode", "33188"}}).ok());
  {
    auto guard = cache_->LockKeys("a", "b");
    ASSERT_TRUE(cache_->BeginRename("a", "b").ok());
  }  // crash: no CopyObject, no DeleteObject

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("b"), data);
  EXPECT_EQ((*store_.ObjectMetadata("b"))["mode"], "33188");
  EXPECT_FALSE(store_.ObjectData("a").has_value());
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());
}

// Defect 15: the crash between CopyObject and DeleteObject.
TEST_F(CrashSafetyGenerationsTest, RenameCrashedAfterTheCopyIsRolledForward) {
  OpenCache();
  const std::string data = TestBytes(5000, 12);
  ASSERT_TRUE(store_.PutObjectFromString("a", data, {{"mode", "33188"}}).ok());
  {
    auto guard = cache_->LockKeys("a", "b");
    ASSERT_TRUE(cache_->BeginRename("a", "b").ok());
    ASSERT_TRUE(store_.CopyObject("a", "b", MetadataDirective::kCopy, {}).ok());
  }  // crash: no DeleteObject, no EndRename

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("b"), data);
  EXPECT_FALSE(store_.ObjectData("a").has_value());
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());
}

// Honest mode merges a journaled chmod/utimens into the rename's copy: the
// roll-forward copies with it again, never the source's older metadata.
TEST_F(CrashSafetyGenerationsTest, RenameCarryingAMetadataChangeKeepsItWhenRolledForward) {
  for (bool copied_before_crash : {false, true}) {
    SCOPED_TRACE(copied_before_crash ? "crash after the copy" : "crash before the copy");
    OpenCache();
    const std::string data = TestBytes(5000, 13);
    ASSERT_TRUE(store_.PutObjectFromString("a", data, {{"mode", "33188"}}).ok());
    auto head = store_.HeadObject("a");
    ASSERT_TRUE(head.ok());
    const UserMetadata changed = {{"mode", "33261"}, {"mtime", "1500000000"}};
    {
      auto guard = cache_->LockKeys("a", "b");
      ASSERT_TRUE(cache_->PutPendingMetadata("a", head->etag, head->size, changed).ok());
      ASSERT_TRUE(cache_->BeginRename("a", "b").ok());
      if (copied_before_crash) {
        ASSERT_TRUE(store_.CopyObject("a", "b", MetadataDirective::kReplace, changed).ok());
      }
    }  // crash: no DeleteObject, no EndRename

    RemountAndRecover();
    EXPECT_EQ(store_.ObjectData("b"), data);
    EXPECT_EQ(store_.ObjectMetadata("b"), changed);
    EXPECT_FALSE(store_.ObjectData("a").has_value());
    ASSERT_TRUE(store_.DeleteObject("b").ok());
    cache_.reset();
  }
}

// A retired record whose upload cannot be aborted yet (the store answers 503)
// is retried with the backoff like any failed upload (before 7bc1360 it was
// requeued at once, forever: thousands of aborts and ERROR lines a second).
// The fake clock shows each abort waiting for its backoff: at once, then
// 10, 20, 20 s (retired attempts are counted from the immediate one).
TEST_F(CrashSafetyGenerationsTest, RetiredUploadWhoseAbortFailsIsRetriedWithBackoff) {
  options_.retry_backoff = std::chrono::seconds(5);
  options_.retry_backoff_max = std::chrono::seconds(20);
  LogCapture log(dir_.Sub("cache.log"));
  options_.logger = log.logger();
  OpenCache();
  auto w = Start("k");
  ASSERT_TRUE(WriteAll(*w, TestBytes(2 * kTestPart + 10, 13)).ok());
  Unlink("k");  // while open
  store_.FailOperation(Op::kAbortMultipartUpload, Status::Unavailable("injected 503"));
  EXPECT_TRUE(w->Finish().ok());  // the abort failed: left to the retry
  w.reset();

  // The first retry runs at once and fails; each later one waits for its backoff.
  ASSERT_TRUE(clock_.AwaitWaiters(1)) << "no retry was scheduled";
  int aborts = store_.Calls(Op::kAbortMultipartUpload);
  EXPECT_EQ(aborts, 2) << "Finish's abort and the immediate retry";
  for (int64_t backoff : {10, 20, 20}) {
    clock_.Advance(std::chrono::seconds(backoff) - std::chrono::milliseconds(1));
    EXPECT_EQ(store_.Calls(Op::kAbortMultipartUpload), aborts) << "retried before " << backoff;
    clock_.Advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(WaitUntil([&] { return store_.Calls(Op::kAbortMultipartUpload) == aborts + 1; }))
        << "no retry after " << backoff << " s";
    ++aborts;
    ASSERT_TRUE(clock_.AwaitWaiters(1)) << "no retry was scheduled after " << backoff << " s";
  }
  EXPECT_EQ(store_.Calls(Op::kAbortMultipartUpload), aborts);
  const std::string errors = log.Errors();
  EXPECT_LE(std::count(errors.begin(), errors.end(), '\n'), 2 * aborts);

  store_.ClearFaults();
  clock_.Advance(std::chrono::seconds(20));
  EXPECT_TRUE(WaitUntil([&] {
    return store_.OpenUploads() == 0 && cache_->journal().ListFiles()->empty();
  })) << "the abort is retried once the store works";
  EXPECT_FALSE(store_.ObjectData("k").has_value());
  cache_.reset();  // its threads log into `log`: stop them first
}

// A rename journaled before a crash is rolled forward before the new mount
// serves: a write of the target after StartRecovery is the newest version and
// wins (before 7bc1360 the recovery thread rolled the rename forward later and
// copied the old source over it). The other thread holding the source's lock
// stands in for a recovery thread slow to start.
TEST_F(CrashSafetyGenerationsTest, RenameRolledForwardAtMountKeepsANewerWriteOfTheTarget) {
  OpenCache();
  ASSERT_TRUE(store_.PutObjectFromString("a", "old a", {}).ok());
  {
    auto guard = cache_->LockKeys("a", "b");
    ASSERT_TRUE(cache_->BeginRename("a", "b").ok());
  }  // crash before the copy
  Crash();
  OpenCache();
  {
    KeyHolder slow(cache_.get(), "a", std::chrono::milliseconds(300));
    ASSERT_TRUE(cache_->StartRecovery().ok());
    auto w = Start("b");  // the mount serves
    ASSERT_TRUE(w->Write(0, "newest b", 8).ok());
    ASSERT_TRUE(w->Finish().ok());
  }
  cache_->WaitForRecovery();
  EXPECT_EQ(store_.ObjectData("b"), "newest b");
  EXPECT_FALSE(store_.ObjectData("a").has_value());
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());
}

// The same on the source: a write of the source key after StartRecovery is a
// new file, not the one renamed before the crash; it keeps its name (before
// 7bc1360 the late roll-forward moved it to the target). Source "z", target
// "m": LockPair takes "m" first, held by the other thread.
TEST_F(CrashSafetyGenerationsTest, RenameRolledForwardAtMountKeepsANewerWriteOfTheSource) {
  OpenCache();
  ASSERT_TRUE(store_.PutObjectFromString("z", "old z", {}).ok());
  {
    auto guard = cache_->LockKeys("z", "m");
    ASSERT_TRUE(cache_->BeginRename("z", "m").ok());
  }  // crash before the copy
  Crash();
  OpenCache();
  {
    KeyHolder slow(cache_.get(), "m", std::chrono::milliseconds(300));
    ASSERT_TRUE(cache_->StartRecovery().ok());
    auto w = Start("z");
    ASSERT_TRUE(w->Write(0, "newest z", 8).ok());
    ASSERT_TRUE(w->Finish().ok());
  }
  cache_->WaitForRecovery();
  EXPECT_EQ(store_.ObjectData("z"), "newest z");
  EXPECT_EQ(store_.ObjectData("m"), "old z");
}

// A rename of a to b left unfinished in a running mount (its EndRename failed)
// is superseded by a newer write of one of its keys: the next mount must not
// move the new file to the target (source rewritten; the copy and the delete
// had happened) nor copy the old source over it (target rewritten; the copy
// had failed).
struct UnfinishedRenameCase {
  const char* name;
  bool copied;            // CopyObject + DeleteObject done before EndRename failed
  const char* rewritten;  // the key written anew afterwards
  const char* other;      // the other key, which must end up holding "old a"
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
void PrintTo(const UnfinishedRenameCase& c, std::ostream* os) { *os << c.name; }

class UnfinishedRenameTest : public CrashSafetyGenerationsTest,
                             public ::testing::WithParamInterface<UnfinishedRenameCase> {};

TEST_P(UnfinishedRenameTest, IsDroppedByANewerWrite) {
  const UnfinishedRenameCase& c = GetParam();
  const std::string new_bytes = std::string("new ") + c.rewritten;
  UseFaultyJournal();
  OpenCache();
  ASSERT_TRUE(store_.PutObjectFromString("a", "old a", {}).ok());
  {
    auto guard = cache_->LockKeys("a", "b");
    auto id = cache_->BeginRename("a", "b");
    ASSERT_TRUE(id.ok());
    if (c.copied) {
      ASSERT_TRUE(store_.CopyObject("a", "b", MetadataDirective::kCopy, {}).ok());
      ASSERT_TRUE(store_.DeleteObject("a").ok());
    }
    faulty_->Fail(FaultyJournal::Method::kEndRename, Status::IOError("injected"), 1);
    ASSERT_FALSE(cache_->EndRename(*id).ok());
  }
  ASSERT_EQ(cache_->journal().ListRenames()->size(), 1u);
  auto w = Start(c.rewritten);
  ASSERT_TRUE(w->Write(0, new_bytes.data(), new_bytes.size()).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());
  w.reset();

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData(c.rewritten), new_bytes);
  EXPECT_EQ(store_.ObjectData(c.other), "old a");
}

INSTANTIATE_TEST_SUITE_P(CrashSafetyGenerationsTest, UnfinishedRenameTest,
                         ::testing::Values(UnfinishedRenameCase{"OfItsSource", true, "a", "b"},
                                           UnfinishedRenameCase{"OfItsTarget", false, "b", "a"}),
                         [](const ::testing::TestParamInfo<UnfinishedRenameCase>& info) {
                           return std::string(info.param.name);
                         });

// A rename whose CopyObject fails changes nothing: the target's pending version
// is not retired and the source's pending version does not move.
TEST_F(CrashSafetyGenerationsTest, RenameWhoseCopyFailsLeavesPendingVersionsAlone) {
  OpenCache();
  ASSERT_TRUE(store_.PutObjectFromString("a", "object a", {}).ok());
  const uint64_t b_id = FailedSmallWrite("b", "pending b");
  {
    auto guard = cache_->LockKeys("a", "b");
    auto id = cache_->BeginRename("a", "b");
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    // CopyObject failed: the FUSE layer ends the rename without committing it.
    ASSERT_TRUE(cache_->EndRename(*id).ok());
  }
  auto record = cache_->journal().GetFile(b_id);
  ASSERT_TRUE(record.ok());
  EXPECT_NE(record->state, UploadState::kRetired);
  EXPECT_EQ(record->key, "b");
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());

  RemountAndRecover();
  EXPECT_EQ(store_.ObjectData("b"), "pending b");
  EXPECT_EQ(store_.ObjectData("a"), "object a");
}

}  // namespace
}  // namespace partfs::testing
