// DaemonStarter: detaches partfs from the terminal while keeping startup errors
// visible. Fork() happens before any thread exists (fuse_daemonize forks after
// the mount, which would lose the WriteCache's upload threads); the parent waits
// until the child reports a successful mount (exit 0) or exits (its exit code).
// Not thread-safe; used by the mount command only. Non-copyable owner of the pipe.
#ifndef PARTFS_FS_DAEMON_H_
#define PARTFS_FS_DAEMON_H_

#include <sys/types.h>

#include <string>

namespace partfs {

class DaemonStarter {
 public:
  DaemonStarter() = default;
  ~DaemonStarter();
  DaemonStarter(const DaemonStarter&) = delete;
  DaemonStarter& operator=(const DaemonStarter&) = delete;

  // In the parent: waits for the child and returns the exit code to use.
  // In the child: returns -1 (and the child is in a new session).
  int Fork();
  // Child after a successful mount: stdin/stdout to /dev/null, stderr to
  // `log_file` (appended, 0600) or /dev/null, cwd "/", then tells the parent.
  void Succeeded(const std::string& log_file);

 private:
  int fd_ = -1;  // child: write end of the status pipe
};

}  // namespace partfs

#endif  // PARTFS_FS_DAEMON_H_
