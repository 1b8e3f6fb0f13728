#include "transfer/retry_policy.h"

#include <algorithm>
#include <random>

#include "transfer/s3_error.h"

namespace partfs {

RetryPolicy::RetryPolicy(RetryOptions options, RandomSource random)
    : options_(options), random_(std::move(random)) {}

RetryPolicy::RandomSource RetryPolicy::DefaultRandom() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

bool RetryPolicy::IsRetryable(const Status& status) {
  return status.IsUnavailable() && !IsCompletionInProgress(status);
}

std::chrono::milliseconds RetryPolicy::BackoffCap(uint32_t retry) const {
  const int64_t base = options_.base_delay.count();
  const int64_t max = options_.max_delay.count();
  // Shift bounded so that it cannot overflow; the cap is reached long before.
  const uint32_t shift = std::min<uint32_t>(retry, 30);
  const int64_t grown = base << shift;
  return std::chrono::milliseconds(std::min(max, grown));
}

std::optional<std::chrono::milliseconds> RetryPolicy::NextDelay(
    const Status& status, uint32_t attempts_made, std::chrono::milliseconds elapsed) const {
  if (!IsRetryable(status)) return std::nullopt;
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  if (elapsed >= options_.max_total) return std::nullopt;
  const auto cap = BackoffCap(attempts_made - 1);
  double r = random_ ? random_() : 0.0;
  r = std::clamp(r, 0.0, 1.0);
  auto delay =
      std::chrono::milliseconds(static_cast<int64_t>(r * static_cast<double>(cap.count())));
  const auto remaining = options_.max_total - elapsed;
  if (delay >= remaining) return std::nullopt;
  return delay;
}

}  // namespace partfs
