// Clock (base/clock.h): the system clock's two times and timed wait, and the
// FakeClock tests drive it with (tests/support/fake_clock.h).
#include "base/clock.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include <gtest/gtest.h>

#include "base/mutex.h"
#include "tests/support/fake_clock.h"

namespace partfs::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SystemClockTest, ReadsTheRealTimes) {
  Clock* clock = SystemClock();
  EXPECT_EQ(clock, SystemClock()) << "one shared instance";
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  const int64_t wall = clock->WallSeconds();
  EXPECT_GE(wall, before);
  EXPECT_LE(wall, static_cast<int64_t>(std::time(nullptr)));
  const auto a = clock->SteadyNow();
  EXPECT_LE(a, clock->SteadyNow());
}

TEST(SystemClockTest, WaitUntilAPastDeadlineReturnsAtOnce) {
  Mutex mu;
  CondVar cv(&mu);
  MutexLock lock(&mu);
  EXPECT_FALSE(SystemClock()->WaitUntil(&cv, SystemClock()->SteadyNow() - seconds(1)));
  // A real (short) timed wait ends at its deadline.
  const auto deadline = SystemClock()->SteadyNow() + milliseconds(5);
  while (SystemClock()->WaitUntil(&cv, deadline)) {
  }
  EXPECT_GE(SystemClock()->SteadyNow(), deadline);
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock;
  EXPECT_EQ(clock.WallSeconds(), FakeClock::kDefaultWallSeconds);
  const auto start = clock.SteadyNow();
  EXPECT_EQ(clock.SteadyNow(), start);
  clock.Advance(milliseconds(1500));
  EXPECT_EQ(clock.WallSeconds(), FakeClock::kDefaultWallSeconds + 1);
  EXPECT_EQ(clock.SteadyNow() - start, milliseconds(1500));
  clock.Set(100);  // the wall time may go back; the steady time does not
  EXPECT_EQ(clock.WallSeconds(), 100);
  EXPECT_EQ(clock.SteadyNow() - start, milliseconds(1500));
}

TEST(FakeClockTest, AdvanceWakesAWaiterOnlyOnceItsDeadlineIsReached) {
  FakeClock clock;
  Mutex mu;
  CondVar cv(&mu);
  std::atomic<bool> timed_out{false};
  const auto deadline = clock.SteadyNow() + seconds(10);
  std::thread waiter([&] {
    MutexLock lock(&mu);
    while (clock.WaitUntil(&cv, deadline)) {
    }
    timed_out = true;
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(seconds(9));
  EXPECT_EQ(clock.Waiters(), 1u) << "9 s of 10: still waiting";
  EXPECT_FALSE(timed_out.load());
  clock.Advance(seconds(1));
  waiter.join();
  EXPECT_TRUE(timed_out.load());
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(FakeClockTest, ASignalEndsTheWaitBeforeTheDeadline) {
  FakeClock clock;
  Mutex mu;
  CondVar cv(&mu);
  bool ready = false;  // guarded by mu
  bool woken_in_time = false;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    const auto deadline = clock.SteadyNow() + seconds(10);
    while (!ready) {
      if (!clock.WaitUntil(&cv, deadline)) return;
    }
    woken_in_time = true;
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  {
    MutexLock lock(&mu);
    ready = true;
    cv.SignalAll();
  }
  waiter.join();
  EXPECT_TRUE(woken_in_time);
  EXPECT_EQ(clock.Waiters(), 0u);
}

TEST(FakeClockTest, APastDeadlineDoesNotWait) {
  FakeClock clock;
  Mutex mu;
  CondVar cv(&mu);
  MutexLock lock(&mu);
  EXPECT_FALSE(clock.WaitUntil(&cv, clock.SteadyNow()));
  EXPECT_EQ(clock.Waiters(), 0u);
}

}  // namespace
}  // namespace partfs::testing
