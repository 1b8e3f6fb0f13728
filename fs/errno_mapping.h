// The one place a Status becomes an errno: the FUSE boundary.
#ifndef PARTFS_FS_ERRNO_MAPPING_H_
#define PARTFS_FS_ERRNO_MAPPING_H_

#include "base/status.h"

namespace partfs {

// Returns 0 for OK, else a positive errno value.
int ToErrno(const Status& status);

}  // namespace partfs

#endif  // PARTFS_FS_ERRNO_MAPPING_H_
