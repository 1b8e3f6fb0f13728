#include "tests/support/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace partfs::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > INT_MAX ? INT_MAX : static_cast<int>(left.count());
}

// Child side: own process group, output into the pipe, no other inherited fds.
[[noreturn]] void ExecChild(const std::string& command, int out_fd) {
  setpgid(0, 0);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  close_range(3, ~0U, 0);
  signal(SIGPIPE, SIG_DFL);
  execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
  _exit(127);
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CommandResult RunCommand(const std::string& command, std::chrono::milliseconds timeout) {
  CommandResult result;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    result.output = "pipe2 failed";
    return result;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    result.output = "fork failed";
    return result;
  }
  if (pid == 0) ExecChild(command, fds[1]);
  setpgid(pid, pid);  // also from the parent: no window where a kill misses the group
  close(fds[1]);

  const Clock::time_point deadline = Clock::now() + timeout;
  char buf[8192];
  // Read until EOF (every holder of the pipe is gone) or the deadline.
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      result.timed_out = true;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);

  int status = 0;
  while (!result.timed_out) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      result.exit_code = DecodeWaitStatus(status);
      return result;
    }
    if (r < 0 && errno != EINTR) return result;
    if (RemainingMs(deadline) == 0) {
      result.timed_out = true;
    } else {
      usleep(5000);
    }
  }
  kill(-pid, SIGKILL);  // the whole group: the shell's children too
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return result;
}
std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace partfs::testing
