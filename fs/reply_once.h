// ReplyOnce: the bookkeeping that every FUSE request is answered exactly once.
//
// Holds no libfuse types, so it is unit-testable without a mount; FuseReply
// (fs/fuse_reply.h) embeds one and calls MarkReplied before each fuse_reply_*.
// In debug builds (!NDEBUG) a second reply and destruction without a reply
// assert; release builds only keep the flag. Not thread-safe: one request is
// handled by one thread.
#ifndef PARTFS_FS_REPLY_ONCE_H_
#define PARTFS_FS_REPLY_ONCE_H_

#include <cassert>

namespace partfs {

class ReplyOnce {
 public:
  ReplyOnce() = default;
  ReplyOnce(const ReplyOnce&) = delete;
  ReplyOnce& operator=(const ReplyOnce&) = delete;
  ~ReplyOnce() { assert(replied_ && "FUSE request destroyed without a reply"); }

  // Records the reply about to be sent.
  void MarkReplied() {
    assert(!replied_ && "FUSE request answered twice");
    replied_ = true;
  }
  bool replied() const { return replied_; }

 private:
  bool replied_ = false;
};

}  // namespace partfs

#endif  // PARTFS_FS_REPLY_ONCE_H_
