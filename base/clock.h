// Clock: where partfs reads the time (leveldb's Env::NowMicros idea), so that
// tests can drive backoff, deadlines and timestamps without sleeping.
//
// Two times: the wall time (seconds since the epoch: journal timestamps,
// mtimes) and the steady time (monotonic: deadlines, backoff). WaitUntil
// blocks on a CondVar until a steady deadline, so a fake clock decides when a
// timed wait ends (tests/support/fake_clock.h).
//
// Implementations are thread-safe. SystemClock() is the real clock: one
// stateless process-wide instance that lives as long as the process.
#ifndef PARTFS_BASE_CLOCK_H_
#define PARTFS_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

#include "base/mutex.h"

namespace partfs {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Seconds since the Unix epoch.
  virtual int64_t WallSeconds() const = 0;
  // Monotonic time; only differences and comparisons mean anything.
  virtual SteadyTime SteadyNow() const = 0;
  // Waits on `cv` until it is signalled or SteadyNow() reaches `deadline`.
  // The caller holds cv's mutex (released while waiting, held on return).
  // Returns false once the deadline is reached; true otherwise (a signal or a
  // spurious wake-up: callers re-check their condition in a loop).
  virtual bool WaitUntil(CondVar* cv, SteadyTime deadline) = 0;
};

// The real clock (time(2), std::chrono::steady_clock).
Clock* SystemClock();

}  // namespace partfs

#endif  // PARTFS_BASE_CLOCK_H_
