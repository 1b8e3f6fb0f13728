#include "cache/cache_budget.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "cache/upload_pool.h"

namespace partfs {
namespace {

using std::chrono::milliseconds;

TEST(CacheBudgetTest, WaitsForDrainingBytesThenProceeds) {
  CacheBudget budget(100);
  ASSERT_TRUE(budget.Reserve(80).ok());
  budget.Drain(80);
  std::atomic<bool> granted{false};
  std::thread writer([&] {
    EXPECT_TRUE(budget.Reserve(50).ok());
    granted = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(granted.load()) << "130 bytes do not fit in 100 while 80 are draining";
  budget.DrainDone(80, /*uploaded=*/true);
  writer.join();
  EXPECT_TRUE(granted.load());
  EXPECT_EQ(budget.used(), 50u);
  EXPECT_EQ(budget.draining(), 0u);
}

TEST(CacheBudgetTest, NothingDrainingMeansNoWait) {
  // Bytes that do not drain (e.g. part files awaiting recovery) must not deadlock the writer.
  CacheBudget budget(100);
  budget.Add(90);
  EXPECT_TRUE(budget.Reserve(50).ok());
  EXPECT_EQ(budget.used(), 140u);
  budget.Release(140);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(CacheBudgetTest, OverBudgetWhileUploadsFailIsAnErrorNotGrowth) {
  CacheBudget budget(100);
  ASSERT_TRUE(budget.Reserve(90).ok());
  budget.Drain(90);
  budget.DrainDone(90, /*uploaded=*/false);
  Status s = budget.Reserve(50);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_EQ(budget.used(), 90u) << "a refused reservation must not count";
  EXPECT_TRUE(budget.Reserve(10).ok()) << "what still fits is granted";
  // Once an upload succeeds again, over-budget reservations wait/grant as before.
  budget.Drain(10);
  budget.DrainDone(10, /*uploaded=*/true);
  EXPECT_TRUE(budget.Reserve(50).ok());
}

TEST(CacheBudgetTest, ShutdownWakesWaitersWithAborted) {
  CacheBudget budget(10);
  ASSERT_TRUE(budget.Reserve(10).ok());
  budget.Drain(10);
  Status waited;
  std::thread writer([&] { waited = budget.Reserve(5); });
  std::this_thread::sleep_for(milliseconds(20));
  budget.Shutdown();
  writer.join();
  EXPECT_EQ(waited.code(), Status::Code::kAborted);
  EXPECT_EQ(budget.Reserve(1).code(), Status::Code::kAborted);
}

TEST(CacheUploadPoolTest, RunsQueuedJobsBeforeShutdownReturns) {
  std::atomic<int> ran{0};
  UploadPool pool(2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.Submit([&] {
      std::this_thread::sleep_for(milliseconds(1));
      ++ran;
    }));
  }
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 20);
  EXPECT_FALSE(pool.Submit([] {}));
}

}  // namespace
}  // namespace partfs
