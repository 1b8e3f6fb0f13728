#include "transfer/retry_policy.h"

#include <gtest/gtest.h>

namespace partfs {
namespace {

using std::chrono::milliseconds;

RetryOptions Options() {
  RetryOptions o;
  o.max_attempts = 5;
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(1000);
  o.max_total = milliseconds(10000);
  return o;
}

TEST(TransferRetryPolicyTest, RetryableClassification) {
  EXPECT_TRUE(RetryPolicy::IsRetryable(Status::Unavailable("connection reset")));
  EXPECT_TRUE(RetryPolicy::IsRetryable(
      Status::Remote(Status::Code::kUnavailable, 503, "SlowDown", "slow")));
  EXPECT_FALSE(RetryPolicy::IsRetryable(Status::NotFound("x")));
  EXPECT_FALSE(RetryPolicy::IsRetryable(
      Status::Remote(Status::Code::kPermissionDenied, 403, "SignatureDoesNotMatch", "x")));
  EXPECT_FALSE(RetryPolicy::IsRetryable(Status::IOError("local read")));
}

TEST(TransferRetryPolicyTest, CapGrowsExponentiallyUpToMax) {
  RetryPolicy p(Options(), [] { return 0.0; });
  EXPECT_EQ(p.BackoffCap(0), milliseconds(100));
  EXPECT_EQ(p.BackoffCap(1), milliseconds(200));
  EXPECT_EQ(p.BackoffCap(2), milliseconds(400));
  EXPECT_EQ(p.BackoffCap(3), milliseconds(800));
  EXPECT_EQ(p.BackoffCap(4), milliseconds(1000));
  EXPECT_EQ(p.BackoffCap(1000), milliseconds(1000));  // no overflow
}

TEST(TransferRetryPolicyTest, FullJitterUsesTheRandomSource) {
  double r = 0.5;
  RetryPolicy p(Options(), [&r] { return r; });
  const Status err = Status::Unavailable("x");
  EXPECT_EQ(p.NextDelay(err, 1, milliseconds(0)), milliseconds(50));
  EXPECT_EQ(p.NextDelay(err, 3, milliseconds(0)), milliseconds(200));
  r = 0.0;
  EXPECT_EQ(p.NextDelay(err, 3, milliseconds(0)), milliseconds(0));
  r = 0.999;
  EXPECT_EQ(p.NextDelay(err, 4, milliseconds(0)), milliseconds(799));
}

TEST(TransferRetryPolicyTest, StopsAfterMaxAttempts) {
  RetryPolicy p(Options(), [] { return 0.5; });
  const Status err = Status::Unavailable("x");
  EXPECT_TRUE(p.NextDelay(err, 4, milliseconds(0)).has_value());
  EXPECT_FALSE(p.NextDelay(err, 5, milliseconds(0)).has_value());
}

TEST(TransferRetryPolicyTest, StopsWhenTotalTimeSpent) {
  RetryPolicy p(Options(), [] { return 0.5; });
  const Status err = Status::Unavailable("x");
  EXPECT_FALSE(p.NextDelay(err, 1, milliseconds(10000)).has_value());
  // 50 ms delay but only 10 ms left: give up rather than overshoot.
  EXPECT_FALSE(p.NextDelay(err, 1, milliseconds(9990)).has_value());
  EXPECT_TRUE(p.NextDelay(err, 1, milliseconds(9900)).has_value());
}

TEST(TransferRetryPolicyTest, NonRetryableNeverRetries) {
  RetryPolicy p(Options(), [] { return 0.5; });
  EXPECT_FALSE(p.NextDelay(Status::InvalidArgument("x"), 1, milliseconds(0)).has_value());
}

TEST(TransferRetryPolicyTest, DefaultRandomInRange) {
  auto random = RetryPolicy::DefaultRandom();
  for (int i = 0; i < 1000; ++i) {
    double r = random();
    ASSERT_GE(r, 0.0);
    ASSERT_LT(r, 1.0);
  }
}

}  // namespace
}  // namespace partfs
