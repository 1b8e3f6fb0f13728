// RetryPolicy: decides whether a failed S3 request is tried again and how long
// to wait first. Retryable: transport failures, HTTP 5xx, 429, SlowDown,
// RequestTimeout, InternalError (all mapped to Status::Unavailable by
// transfer/s3_error.h), except RGW's 500 "multipart completion is already in
// progress" (IsCompletionInProgress), which another try never changes. Backoff is exponential with
// full jitter: a uniform random delay in [0, min(max_delay, base_delay * 2^retry)], and the whole
// call is bounded by max_attempts and max_total.
//
// Pure: the random source is injected and elapsed time is passed in, so tests
// need no clock. A RetryPolicy is immutable after construction and may be
// shared by threads if its random source is thread-safe (DefaultRandom is).
#ifndef PARTFS_TRANSFER_RETRY_POLICY_H_
#define PARTFS_TRANSFER_RETRY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "base/status.h"
#include "transfer/s3_client.h"

namespace partfs {

class RetryPolicy {
 public:
  // Returns a uniform double in [0, 1).
  using RandomSource = std::function<double()>;

  RetryPolicy(RetryOptions options, RandomSource random);

  // A thread-safe source (thread-local PRNG seeded from std::random_device).
  static RandomSource DefaultRandom();

  // True for failures worth another try.
  static bool IsRetryable(const Status& status);

  // Upper bound of the delay before retry number `retry` (0 = first retry).
  std::chrono::milliseconds BackoffCap(uint32_t retry) const;

  // After `attempts_made` attempts (>= 1) failed with `status`, `elapsed` after
  // the first began: the delay before the next attempt, or nullopt to give up.
  // The delay never makes the total exceed max_total.
  std::optional<std::chrono::milliseconds> NextDelay(const Status& status, uint32_t attempts_made,
                                                     std::chrono::milliseconds elapsed) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  RandomSource random_;
};

}  // namespace partfs

#endif  // PARTFS_TRANSFER_RETRY_POLICY_H_
