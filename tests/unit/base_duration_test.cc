// ParseDuration (base/duration.h): the ages of `partfs gc --older-than` and -o gc_on_mount.
#include "base/duration.h"

#include <gtest/gtest.h>

namespace partfs {
namespace {

TEST(BaseDurationTest, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_EQ(*ParseDuration("24h"), 86400);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400);
  EXPECT_EQ(*ParseDuration("45s"), 45);
  EXPECT_EQ(*ParseDuration("90"), 90);
  EXPECT_EQ(*ParseDuration("999999999999d"), 999999999999ll * 86400);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("3w").ok());
  EXPECT_FALSE(ParseDuration("-1h").ok());
  EXPECT_FALSE(ParseDuration("1.5h").ok());
  EXPECT_FALSE(ParseDuration("1000000000000s").ok());  // 13 digits
}

}  // namespace
}  // namespace partfs
