// WritebackQueue: tasks run after their delay (restarted by each Schedule),
// at once under pressure or when drained, one at a time per entry, and
// WaitForRoom holds callers while the queue is full.
#include "fs/writeback_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace partfs::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Waits (bounded) until `done` holds.
template <typename Pred>
bool WaitUntil(Pred done, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

TEST(WritebackQueueTest, RunsATaskAfterItsDelay) {
  WritebackQueue::Options options;
  options.delay = milliseconds(300);
  WritebackQueue queue(options);
  std::atomic<int> runs{0};
  const auto start = Clock::now();
  Clock::time_point ran;
  int id = 0;
  queue.Schedule(&id, [&] {
    ran = Clock::now();
    ++runs;
  });
  EXPECT_EQ(queue.GetStats().queued, 1u);
  ASSERT_TRUE(WaitUntil([&] { return runs == 1; }));
  EXPECT_GE(ran - start, milliseconds(300));
  EXPECT_TRUE(WaitUntil([&] { return queue.GetStats().running == 0; }));
  EXPECT_EQ(queue.GetStats().queued, 0u);
}

TEST(WritebackQueueTest, ScheduleAgainRestartsTheDelayAndReplacesTheTask) {
  WritebackQueue::Options options;
  options.delay = milliseconds(400);
  WritebackQueue queue(options);
  std::atomic<int> first{0}, second{0};
  int id = 0;
  queue.Schedule(&id, [&] { ++first; });
  std::this_thread::sleep_for(milliseconds(250));
  const auto rescheduled = Clock::now();
  queue.Schedule(&id, [&] { ++second; });
  ASSERT_TRUE(WaitUntil([&] { return second == 1; }));
  EXPECT_GE(Clock::now() - rescheduled, milliseconds(400));
  EXPECT_EQ(first, 0);
}

TEST(WritebackQueueTest, DrainRunsEverythingNowAndWaits) {
  WritebackQueue::Options options;
  options.delay = std::chrono::hours(1);
  options.threads = 3;
  WritebackQueue queue(options);
  std::atomic<int> runs{0};
  int ids[20];
  for (int& id : ids) {
    queue.Schedule(&id, [&] {
      std::this_thread::sleep_for(milliseconds(10));
      ++runs;
    });
  }
  queue.Drain();
  EXPECT_EQ(runs, 20);
  EXPECT_EQ(queue.GetStats().queued + queue.GetStats().running, 0u);
}

TEST(WritebackQueueTest, PressureSkipsTheDelay) {
  std::atomic<bool> full{false};
  WritebackQueue::Options options;
  options.delay = std::chrono::hours(1);
  options.pressure = [&] { return full.load(); };
  WritebackQueue queue(options);
  std::atomic<int> runs{0};
  int id = 0;
  queue.Schedule(&id, [&] { ++runs; });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(runs, 0);
  full = true;
  EXPECT_TRUE(WaitUntil([&] { return runs == 1; }));
}

TEST(WritebackQueueTest, OneTaskPerEntryAtATime) {
  WritebackQueue::Options options;
  options.delay = milliseconds(0);
  options.threads = 4;
  WritebackQueue queue(options);
  std::atomic<int> running{0}, most{0}, runs{0};
  int id = 0;
  auto task = [&] {
    int now = ++running;
    most = std::max(most.load(), now);
    std::this_thread::sleep_for(milliseconds(50));
    --running;
    ++runs;
  };
  queue.Schedule(&id, task);
  ASSERT_TRUE(WaitUntil([&] { return running == 1; }));
  queue.Schedule(&id, task);  // the file changed while its upload ran
  ASSERT_TRUE(WaitUntil([&] { return runs == 2; }));
  EXPECT_EQ(most, 1);
}

TEST(WritebackQueueTest, WaitForRoomBlocksWhileFull) {
  WritebackQueue::Options options;
  options.delay = std::chrono::hours(1);
  options.capacity = 2;
  WritebackQueue queue(options);
  int a = 0, b = 0;
  queue.Schedule(&a, [] {});
  std::atomic<bool> passed{false};
  std::thread waiter([&] {
    queue.WaitForRoom();
    passed = true;
  });
  // One entry of two: room. (Half full already hurries the queued entries.)
  ASSERT_TRUE(WaitUntil([&] { return passed.load(); }));
  waiter.join();
  std::atomic<int> runs{0};
  queue.Schedule(&a, [&] {
    std::this_thread::sleep_for(milliseconds(100));
    ++runs;
  });
  queue.Schedule(&b, [&] {
    std::this_thread::sleep_for(milliseconds(100));
    ++runs;
  });
  queue.WaitForRoom();  // returns once a task was taken off the queue
  EXPECT_LT(queue.GetStats().queued, 2u);
  queue.Drain();
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace partfs::testing
