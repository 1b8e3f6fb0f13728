#include "fs/generic_mount_options.h"

namespace partfs {

namespace {

bool IsOneOf(std::string_view option, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (option == name) return true;
  }
  return false;
}

}  // namespace

GenericMountOption ClassifyGenericMountOption(std::string_view option) {
  // Flags that change the mount and that libfuse hands to the kernel. The
  // defaults (rw, suid, dev, exec, async) are listed too: mount.fuse adds
  // "dev,suid" to every command line it runs.
  if (IsOneOf(option, {"ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "async",
                       "sync", "dirsync", "noatime", "nodiratime"})) {
    return GenericMountOption::kKernelFlag;
  }
  // Options for mount(8), systemd and fstab bookkeeping, and access-time
  // flavours a FUSE mount does not implement (partfs never updates atime).
  if (IsOneOf(option, {"defaults", "auto",        "noauto",     "user",        "nouser",
                       "users",    "owner",       "group",      "_netdev",     "nofail",
                       "atime",    "relatime",    "norelatime", "strictatime", "nostrictatime",
                       "diratime", "lazytime",    "nolazytime", "loud",        "silent",
                       "nomand",   "nosymfollow", "symfollow"})) {
    return GenericMountOption::kNoEffect;
  }
  // x-systemd.automount, x-systemd.requires=..., x-mount.mkdir, comment=...:
  // userspace options for systemd and mount(8), never for the filesystem.
  if (option.starts_with("x-") || option.starts_with("comment=")) {
    return GenericMountOption::kNoEffect;
  }
  return GenericMountOption::kNotGeneric;
}

}  // namespace partfs
