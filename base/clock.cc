#include "base/clock.h"

#include <ctime>

namespace partfs {
namespace {

class RealClock final : public Clock {
 public:
  int64_t WallSeconds() const override { return static_cast<int64_t>(std::time(nullptr)); }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
  bool WaitUntil(CondVar* cv, SteadyTime deadline) override {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyNow());
    if (left <= std::chrono::milliseconds(0)) return false;
    cv->WaitFor(left);
    return SteadyNow() < deadline;
  }
};

}  // namespace

Clock* SystemClock() {
  // Stateless, so sharing one instance is no global mutable state.
  static RealClock clock;
  return &clock;
}

}  // namespace partfs
