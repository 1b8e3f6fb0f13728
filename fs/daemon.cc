#include "fs/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace partfs {

DaemonStarter::~DaemonStarter() {
  if (fd_ >= 0) close(fd_);
}

int DaemonStarter::Fork() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "partfs: pipe: %s\n", std::strerror(errno));
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "partfs: fork: %s\n", std::strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return 1;
  }
  if (child == 0) {
    close(fds[0]);
    fd_ = fds[1];
    setsid();
    return -1;
  }
  close(fds[1]);
  char verdict = 1;
  ssize_t n;
  do {
    n = read(fds[0], &verdict, 1);
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n == 1 && verdict == 0) return 0;
  // The child gave up and printed why; pass its exit code on.
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}

void DaemonStarter::Succeeded(const std::string& log_file) {
  if (fd_ < 0) return;
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int log_fd = log_file.empty()
                   ? -1
                   : open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_file.size() > 0 && log_fd < 0) {
    std::fprintf(stderr, "partfs: cannot open log_file %s: %s (logging discarded)\n",
                 log_file.c_str(), std::strerror(errno));
  }
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(log_fd >= 0 ? log_fd : null_fd, 2);
    close(null_fd);
  }
  if (log_fd >= 0) close(log_fd);
  if (chdir("/") != 0) {
    // Nothing useful to do: the mount keeps working from any cwd.
  }
  char ok = 0;
  ssize_t n;
  do {
    n = write(fd_, &ok, 1);
  } while (n < 0 && errno == EINTR);
  close(fd_);
  fd_ = -1;
}

}  // namespace partfs
