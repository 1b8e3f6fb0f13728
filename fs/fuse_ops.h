// The libfuse low-level glue: fills fuse_lowlevel_ops with handlers that unpack
// each request, call the Filesystem (from fuse_req_userdata) and reply exactly
// once through a FuseReply (fs/fuse_reply.h), which turns Status into errno
// with ToErrno. With fuse_reply.cc and mount_command.cc the only partfs files
// that see libfuse types. Handlers are thread-safe as the
// Filesystem is; no state of their own.
#ifndef PARTFS_FS_FUSE_OPS_H_
#define PARTFS_FS_FUSE_OPS_H_

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

namespace partfs {

// Kernel cache lifetimes: short, objects may change behind our back.
inline constexpr double kAttrTimeoutSeconds = 1.0;
inline constexpr double kEntryTimeoutSeconds = 1.0;
// Largest WRITE request the kernel sends (each becomes one FileWriter::Write).
inline constexpr unsigned kMaxWriteBytes = 1u << 20;

// The session's userdata must be a partfs::Filesystem* that outlives the session.
void FillFuseOps(fuse_lowlevel_ops* ops);

}  // namespace partfs

#endif  // PARTFS_FS_FUSE_OPS_H_
