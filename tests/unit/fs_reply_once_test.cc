// Unit tests for fs/reply_once.h: one reply per FUSE request.
#include "fs/reply_once.h"

#include "gtest/gtest.h"

namespace partfs {
namespace {

TEST(FsReplyOnceTest, MarksTheReply) {
  ReplyOnce once;
  EXPECT_FALSE(once.replied());
  once.MarkReplied();
  EXPECT_TRUE(once.replied());
}

// Debug builds assert; release builds only keep the flag.
TEST(FsReplyOnceTest, SecondReplyIsABug) {
  EXPECT_DEBUG_DEATH(
      {
        ReplyOnce once;
        once.MarkReplied();
        once.MarkReplied();
      },
      "answered twice");
}

TEST(FsReplyOnceTest, NoReplyIsABug) {
  EXPECT_DEBUG_DEATH({ ReplyOnce once; }, "without a reply");
}

}  // namespace
}  // namespace partfs
