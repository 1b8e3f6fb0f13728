#include "fs/access_check.h"

#include <unistd.h>

#include <algorithm>

namespace partfs {

bool AccessAllowed(const struct stat& st, int mask, const AccessCaller& caller) {
  const int wanted = mask & (R_OK | W_OK | X_OK);
  if (wanted == 0) return true;  // F_OK
  if (caller.uid == 0) {
    const bool any_x = S_ISDIR(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
    return (wanted & X_OK) == 0 || any_x;
  }
  // Only one class applies: the owner's bits even when the group's would allow more.
  int shift = 0;  // other
  if (caller.uid == st.st_uid) {
    shift = 6;
  } else if (caller.gid == st.st_gid || std::find(caller.groups.begin(), caller.groups.end(),
                                                  st.st_gid) != caller.groups.end()) {
    shift = 3;
  }
  const int granted = static_cast<int>((st.st_mode >> shift) & 07);
  return (granted & wanted) == wanted;
}

}  // namespace partfs
