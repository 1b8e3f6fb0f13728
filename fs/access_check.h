// AccessAllowed: the access(2) decision for one file from its attributes, by
// the classic owner / group / other permission bits. Pure function,
// thread-compatible; Filesystem::Access feeds it the attributes it stats.
#ifndef PARTFS_FS_ACCESS_CHECK_H_
#define PARTFS_FS_ACCESS_CHECK_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <vector>

namespace partfs {

// Who asks: the caller's uid, primary gid and supplementary groups.
struct AccessCaller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// `mask` is F_OK or any of R_OK | W_OK | X_OK. F_OK is always allowed (the
// file exists). Root may read and write anything and execute a file with any
// x bit (or a directory), as on a local disk.
bool AccessAllowed(const struct stat& st, int mask, const AccessCaller& caller);

}  // namespace partfs

#endif  // PARTFS_FS_ACCESS_CHECK_H_
