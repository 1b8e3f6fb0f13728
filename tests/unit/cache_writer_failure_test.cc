// FileWriter under stress over the fake store: backpressure from the cache
// budget, permanent upload failures and retries, recovery hand-off.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/read_object.h"
#include "tests/unit/cache_writer_fixture.h"

namespace partfs::testing {
namespace {

class CacheWriterFailureTest : public CacheWriterFixture {};

TEST_F(CacheWriterFailureTest, BackpressureKeepsTheCacheWithinBudget) {
  options_.cache_size = 2 * kTestPart;
  options_.upload_threads = 2;
  OpenCache();
  store_.SetUploadPartDelay(std::chrono::milliseconds(30));
  auto w = Start("bp");
  std::string data = TestBytes(10 * kTestPart + 77);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> max_cached{0};
  std::thread monitor([&] {
    while (!done.load()) {
      uint64_t now = cache_->CachedBytes();
      uint64_t seen = max_cached.load();
      while (now > seen && !max_cached.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto start = std::chrono::steady_clock::now();
  Status written = WriteAll(*w, data, 4096);
  auto elapsed = std::chrono::steady_clock::now() - start;
  Status finished = w->Finish();
  done = true;
  monitor.join();

  ASSERT_TRUE(written.ok()) << written.ToString();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_LE(max_cached.load(), options_.cache_size);
  EXPECT_GT(max_cached.load(), 0u);
  // 10 parts through a 2-part cache must have waited for several 30 ms uploads.
  EXPECT_GE(elapsed, std::chrono::milliseconds(90));
  EXPECT_EQ(ReadObjectOrError(store_, "bp"), data);
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

TEST_F(CacheWriterFailureTest, PermanentPartFailureKeepsDataAndRetriesOnFinish) {
  OpenCache();
  auto w = Start("flaky");
  uint64_t id = FileIdOf("flaky");
  store_.FailPart(2, Status::Unavailable("injected: connection reset"));
  std::string data = TestBytes(3 * kTestPart + kTestPart / 2);
  ASSERT_TRUE(WriteAll(*w, data).ok());

  Status sync = w->Sync();
  EXPECT_EQ(sync.code(), Status::Code::kUnavailable) << sync.ToString();
  Status first = w->Finish();
  ASSERT_EQ(first.code(), Status::Code::kUnavailable) << first.ToString();
  EXPECT_FALSE(w->Finished());

  auto rec = cache_->journal().GetFile(id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->state, UploadState::kFailed);
  EXPECT_NE(rec->last_error.find("injected"), std::string::npos) << rec->last_error;
  EXPECT_EQ(rec->size, data.size());
  EXPECT_TRUE(Exists(PartPath(id, 2))) << "the failed part stays in the cache";
  EXPECT_FALSE(Exists(PartPath(id, 1)));
  auto parts = cache_->journal().GetParts(id);
  EXPECT_EQ(parts->size(), 3u);  // 1, 3 and the tail 4 went through
  EXPECT_FALSE(ReadObject(store_, "flaky").ok());
  EXPECT_GE(cache_->CachedBytes(), kTestPart);

  store_.ClearFaults();
  Status second = w->Finish();
  ASSERT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(ReadObjectOrError(store_, "flaky"), data);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

TEST_F(CacheWriterFailureTest, CompleteFailureIsRetried) {
  OpenCache();
  auto w = Start("complete");
  std::string data = TestBytes(2 * kTestPart + 3);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  store_.FailOperation(Op::kCompleteMultipartUpload, Status::Unavailable("injected 503"), 1);
  EXPECT_EQ(w->Finish().code(), Status::Code::kUnavailable);
  EXPECT_EQ(cache_->journal().ListFiles()->at(0).state, UploadState::kFailed);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "complete"), data);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 3);  // no part sent twice
}

TEST_F(CacheWriterFailureTest, PutObjectFailureKeepsTheSmallFile) {
  OpenCache();
  auto w = Start("small");
  uint64_t id = FileIdOf("small");
  ASSERT_TRUE(w->Write(0, "data", 4).ok());
  store_.FailOperation(Op::kPutObject, Status::IOError("injected 500"), 1);
  EXPECT_EQ(w->Finish().code(), Status::Code::kIOError);
  EXPECT_TRUE(Exists(PartPath(id, 1)));
  EXPECT_EQ(cache_->journal().GetFile(id)->state, UploadState::kFailed);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "small"), "data");
}

TEST_F(CacheWriterFailureTest, CreateFailureFailsTheWriteThatNeedsIt) {
  OpenCache();
  auto w = Start("create");
  std::string data = TestBytes(2 * kTestPart);
  ASSERT_TRUE(w->Write(0, data.data(), kTestPart).ok());
  store_.FailOperation(Op::kCreateMultipartUpload, Status::Unavailable("injected"), 1);
  EXPECT_EQ(w->Write(kTestPart, data.data() + kTestPart, kTestPart).status().code(),
            Status::Code::kUnavailable);
  // Nothing of the failed write was accepted; the same write succeeds on retry.
  ASSERT_TRUE(w->Write(kTestPart, data.data() + kTestPart, kTestPart).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "create"), data);
}

TEST_F(CacheWriterFailureTest, UnfinishedWriterLeavesRecordForRecovery) {
  OpenCache();
  uint64_t id = 0;
  std::string data = TestBytes(2 * kTestPart + 10);
  {
    auto w = Start("abandoned");
    id = FileIdOf("abandoned");
    ASSERT_TRUE(WriteAll(*w, data).ok());
    ASSERT_TRUE(w->Sync().ok());
  }  // destroyed without Finish, like a crash after fsync
  auto rec = cache_->journal().GetFile(id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->size, data.size());
  EXPECT_FALSE(rec->upload_id.empty());
  EXPECT_EQ(cache_->journal().GetParts(id)->size(), 2u);
  EXPECT_TRUE(Exists(PartPath(id, 3)));

  // The next mount counts the leftover bytes and recovery completes the object.
  cache_.reset();
  OpenCache();
  EXPECT_EQ(cache_->CachedBytes(), 10u);
  ASSERT_TRUE(cache_->StartRecovery().ok());
  cache_->WaitForRecovery();
  EXPECT_EQ(ReadObjectOrError(store_, "abandoned"), data);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

}  // namespace
}  // namespace partfs::testing
