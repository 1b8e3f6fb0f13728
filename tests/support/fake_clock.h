// FakeClock: a Clock (base/clock.h) that moves only when a test says so.
//
// Set() changes the wall time; Advance() moves the wall and steady times
// forward and wakes every WaitUntil whose deadline it reaches (it takes the
// waiter's mutex to signal, so no wake-up is lost). Waiters() and
// AwaitWaiters() let a test advance only once a thread is waiting, i.e. once
// that thread has computed its deadline from the current time.
//
// Thread-safe. A CondVar waited on must outlive any Advance() that may signal
// it (tests advance from the thread that also tears the waiters down).
#ifndef PARTFS_TESTS_SUPPORT_FAKE_CLOCK_H_
#define PARTFS_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"

namespace partfs::testing {

class FakeClock : public Clock {
 public:
  static constexpr int64_t kDefaultWallSeconds = 1'700'000'000;  // Nov 2023

  explicit FakeClock(int64_t wall_seconds = kDefaultWallSeconds)
      : wall_(std::chrono::seconds(wall_seconds)) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  int64_t WallSeconds() const override {
    MutexLock lock(&mu_);
    return std::chrono::floor<std::chrono::seconds>(wall_).count();
  }
  SteadyTime SteadyNow() const override {
    MutexLock lock(&mu_);
    return steady_;
  }

  bool WaitUntil(CondVar* cv, SteadyTime deadline) override {
    uint64_t id;
    {
      MutexLock lock(&mu_);
      if (steady_ >= deadline) return false;
      id = next_id_++;
      waiters_.emplace(id, Waiter{cv, deadline});
      waiters_changed_.SignalAll();
    }
    cv->Wait();  // the caller's mutex is held from the registration until here
    MutexLock lock(&mu_);
    waiters_.erase(id);  // already gone when Advance() woke it
    return steady_ < deadline;
  }

  // The wall time only: the steady time never goes back.
  void Set(int64_t wall_seconds) {
    MutexLock lock(&mu_);
    wall_ = std::chrono::seconds(wall_seconds);
  }

  void Advance(std::chrono::nanoseconds by) {
    std::vector<CondVar*> due;
    {
      MutexLock lock(&mu_);
      wall_ += by;
      steady_ += by;
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->second.deadline > steady_) {
          ++it;
          continue;
        }
        due.push_back(it->second.cv);
        it = waiters_.erase(it);
      }
    }
    // Not under mu_: a waiter takes its own mutex first, then mu_.
    for (CondVar* cv : due) {
      MutexLock lock(cv->mutex());
      cv->SignalAll();
    }
  }

  // WaitUntil calls blocked on a deadline not reached yet.
  size_t Waiters() const {
    MutexLock lock(&mu_);
    return waiters_.size();
  }

  // Blocks (in real time, at most `timeout`) until at least `n` threads wait.
  bool AwaitWaiters(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(&mu_);
    while (waiters_.size() < n) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) return false;
      waiters_changed_.WaitFor(left);
    }
    return true;
  }

 private:
  struct Waiter {
    CondVar* cv;
    SteadyTime deadline;
  };

  mutable Mutex mu_;
  CondVar waiters_changed_{&mu_};
  std::chrono::nanoseconds wall_ GUARDED_BY(mu_);
  SteadyTime steady_ GUARDED_BY(mu_) = SteadyTime(std::chrono::hours(1));
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Waiter> waiters_ GUARDED_BY(mu_);
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_FAKE_CLOCK_H_
