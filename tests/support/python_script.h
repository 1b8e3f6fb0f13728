// Python programs that fuse tests run against a mount: a common prelude (M
// bound to the mount point, err(fn) naming an OSError's errno) written to a
// file, so a test states only the body it checks.
#ifndef PARTFS_TESTS_SUPPORT_PYTHON_SCRIPT_H_
#define PARTFS_TESTS_SUPPORT_PYTHON_SCRIPT_H_

#include <string>

namespace partfs::testing {

// Writes to `path` a python3 program that imports os, sys, errno and stat,
// binds `M` to `mount_point`, defines `err(fn)` (calls fn; returns "ok", or
// the errno name of the OSError it raised) and then runs `body`. Returns the
// shell command that runs it (with Python3()).
std::string WriteMountPythonScript(const std::string& path, const std::string& mount_point,
                                   const std::string& body);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_PYTHON_SCRIPT_H_
