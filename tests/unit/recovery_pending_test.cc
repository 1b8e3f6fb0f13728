// Unit tests for WriteCache::RecoveryPendingFor / WaitForRecoveryOf: a key
// whose crashed write is being resumed is pending until its own record is done.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/read_object.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {
namespace {

class RecoveryPendingTest : public RecoveryFixture {
 protected:
  // A crashed two-part write of `key`: upload created, both parts still cached.
  std::string CrashedWrite(const std::string& key, uint32_t seed) {
    std::string data = TestBytes(kRecPartSize + 1000, seed);
    uint64_t id = NewRecord(key, Create(key));
    CachedPart(id, 1, PartBytes(data, 1));
    CachedPart(id, 2, PartBytes(data, 2));
    return data;
  }

  // Closes the fixture's journal (the cache opens its own) and opens the cache.
  std::unique_ptr<WriteCache> OpenCache() {
    journal_.reset();
    options_.upload_threads = 1;  // one record at a time, in key order
    auto cache = WriteCache::Open(options_, &store_);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? std::move(cache).value() : nullptr;
  }
};

TEST_F(RecoveryPendingTest, EachKeyIsPendingUntilItsOwnRecordIsResumed) {
  const std::string data_a = CrashedWrite("dir/a", 1);
  const std::string data_c = CrashedWrite("dir/c", 2);
  // Long enough that "dir/c" is still pending when "dir/a"'s wait returns also
  // under TSan on a loaded machine (300 ms was not: seen failing there).
  fake_.SetUploadPartDelay(std::chrono::milliseconds(1000));
  auto cache = OpenCache();
  ASSERT_NE(cache, nullptr);
  EXPECT_FALSE(cache->RecoveryPendingFor("dir/a")) << "nothing resumes it before StartRecovery";

  ASSERT_TRUE(cache->StartRecovery().ok());
  EXPECT_TRUE(cache->RecoveryPendingFor("dir/a"));
  EXPECT_TRUE(cache->RecoveryPendingFor("dir/c"));
  EXPECT_FALSE(cache->RecoveryPendingFor("dir/b"));
  EXPECT_FALSE(cache->RecoveryPendingFor("dir"));

  // A short wait times out while the parts are still being sent: when the
  // clock reaches its deadline, not before.
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    cache->WaitForRecoveryOf("dir/a", std::chrono::milliseconds(100));
    returned = true;
  });
  ASSERT_TRUE(clock_.AwaitWaiters(1));
  clock_.Advance(std::chrono::milliseconds(99));
  EXPECT_FALSE(returned.load()) << "returned before its deadline";
  clock_.Advance(std::chrono::milliseconds(1));
  waiter.join();
  EXPECT_TRUE(cache->RecoveryPendingFor("dir/a"));

  // "dir/a" is resumed first: once its wait returns the object is complete,
  // while "dir/c" (two more slow parts) is still pending.
  cache->WaitForRecoveryOf("dir/a", std::chrono::seconds(30));
  EXPECT_FALSE(cache->RecoveryPendingFor("dir/a"));
  EXPECT_TRUE(ReadObjectOrError(fake_, "dir/a") == data_a);
  EXPECT_TRUE(cache->RecoveryPendingFor("dir/c"));
  EXPECT_FALSE(testing::ReadObject(fake_, "dir/c").ok());

  cache->WaitForRecoveryOf("dir/c", std::chrono::seconds(30));
  EXPECT_FALSE(cache->RecoveryPendingFor("dir/c"));
  EXPECT_TRUE(ReadObjectOrError(fake_, "dir/c") == data_c);
  cache->WaitForRecovery();
  EXPECT_TRUE(cache->journal().ListFiles()->empty());
}

// A transient failure is retried in the running mount: the key stays pending
// (stat answers from the record, readers wait) until the retry lands it.
TEST_F(RecoveryPendingTest, TransientlyFailedRecoveryStaysPendingUntilItsRetryLands) {
  const std::string data = CrashedWrite("gone", 3);
  fake_.FailOperation(FakeObjectStore::Op::kUploadPart, Status::Unavailable("injected"));
  options_.retry_backoff = std::chrono::seconds(5);
  options_.retry_backoff_max = std::chrono::seconds(20);
  auto cache = OpenCache();
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->StartRecovery().ok());
  cache->WaitForRecovery();
  EXPECT_TRUE(cache->RecoveryPendingFor("gone"));
  EXPECT_FALSE(testing::ReadObject(fake_, "gone").ok());
  auto record = cache->RecoveringRecord("gone");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->retries, 1u) << "the retry is journaled (partfs status shows it)";

  fake_.ClearFaults();
  ASSERT_TRUE(clock_.AwaitWaiters(1)) << "the retry waits for its backoff";
  EXPECT_TRUE(cache->RecoveryPendingFor("gone"));
  clock_.Advance(std::chrono::seconds(5));
  cache->WaitForRecoveryOf("gone", std::chrono::seconds(30));
  EXPECT_FALSE(cache->RecoveryPendingFor("gone"));
  EXPECT_TRUE(ReadObjectOrError(fake_, "gone") == data);
  EXPECT_TRUE(cache->journal().ListFiles()->empty());
  // The retry thread counts itself until just after it marked the key done.
  for (int i = 0; i < 10000 && cache->RetriesPending() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(cache->RetriesPending(), 0u);
}

TEST_F(RecoveryPendingTest, WritesOfANewMountAreNeverPending) {
  auto cache = OpenCache();
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->StartRecovery().ok());
  auto writer = cache->StartWrite("fresh", {});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_FALSE(cache->RecoveryPendingFor("fresh"));
  ASSERT_TRUE((*writer)->Write(0, "hello", 5).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_TRUE(ReadObjectOrError(fake_, "fresh") == "hello");
  writer->reset();
  cache->WaitForRecovery();
}

}  // namespace
}  // namespace partfs::testing
