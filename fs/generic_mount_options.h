// The options mount(8) and /etc/fstab hand to every filesystem helper
// ("rw", "noatime", "_netdev", "nofail", "x-systemd.automount", ...), as
// opposed to partfs's own -o options. partfs accepts them so that
// `mount -t fuse.partfs` and fstab lines work; the kernel mount flags among
// them are passed on to the FUSE mount. Pure functions, thread-safe.
#ifndef PARTFS_FS_GENERIC_MOUNT_OPTIONS_H_
#define PARTFS_FS_GENERIC_MOUNT_OPTIONS_H_

#include <string_view>

namespace partfs {

enum class GenericMountOption {
  kNotGeneric,  // not a generic option: one of partfs's own, or unknown
  kKernelFlag,  // a mount flag libfuse passes to the kernel (ro, nosuid, noatime, ...)
  kNoEffect,    // accepted and ignored: defaults, _netdev, nofail, auto, user, x-*, ...
};

// Classifies one "name[=value]" item of a -o list.
GenericMountOption ClassifyGenericMountOption(std::string_view option);

}  // namespace partfs

#endif  // PARTFS_FS_GENERIC_MOUNT_OPTIONS_H_
