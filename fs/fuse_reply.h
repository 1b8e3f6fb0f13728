// FuseReply: the one way fs/fuse_ops.cc answers a FUSE request.
//
// Wraps a fuse_req_t for the duration of one handler; each Reply* method sends
// one fuse_reply_* and marks the request answered (ReplyOnce asserts in debug
// builds on a second reply and on a handler that returns without replying).
// Errors go through Error(Status), so errno comes only from ToErrno. Not
// copyable; used by the one thread running the handler.
#ifndef PARTFS_FS_FUSE_REPLY_H_
#define PARTFS_FS_FUSE_REPLY_H_

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"
#include "fs/reply_once.h"

namespace partfs {

class FuseReply {
 public:
  // `req` must be the request being handled; it is answered through this object only.
  explicit FuseReply(fuse_req_t req) : req_(req) {}
  FuseReply(const FuseReply&) = delete;
  FuseReply& operator=(const FuseReply&) = delete;

  // For calls that need the request itself (userdata, context, fuse_add_direntry).
  fuse_req_t req() const { return req_; }

  // OK replies "success" (fuse_reply_err(0)), anything else its ToErrno value.
  void Error(const Status& status);
  // forget / forget_multi: no answer is sent, but the request counts as answered.
  void None();
  // Entry with the mount's attribute and entry timeouts.
  void Entry(const struct stat& attr);
  void Attr(const struct stat& attr);
  // A lookup's "no such name" the kernel may cache for `timeout` seconds.
  void NegativeEntry(double timeout);
  // Non-zero when the kernel dropped the request (the handle will never be released).
  int Create(const struct stat& attr, const fuse_file_info* fi);
  int Open(const fuse_file_info* fi);
  void Buffer(const char* data, size_t size);
  // The bytes of `pieces` in order, written to the kernel from where they are.
  void Pieces(const std::vector<iovec>& pieces);
  void Write(size_t count);
  void StatFs(const struct statvfs& st);
  void Readlink(const std::string& target);

 private:
  fuse_req_t req_;
  ReplyOnce once_;
};

}  // namespace partfs

#endif  // PARTFS_FS_FUSE_REPLY_H_
