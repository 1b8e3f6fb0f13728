// Process helpers for the FUSE layer: which process a kernel-reported thread
// id belongs to. Reads /proc; thread-safe.
#ifndef PARTFS_FS_PROCESS_INFO_H_
#define PARTFS_FS_PROCESS_INFO_H_

#include <sys/types.h>

#include <optional>

namespace partfs {

// The thread group (process) id of thread `tid`, or nullopt when it is gone.
std::optional<pid_t> ProcessOfThread(pid_t tid);

}  // namespace partfs

#endif  // PARTFS_FS_PROCESS_INFO_H_
