// RunCommand: runs a shell command (/bin/sh -c) with a time limit and returns
// its exit code and combined stdout+stderr, for tests that drive scripts and
// the partfs binary.
//
// The command runs in its own process group; on timeout the whole group is
// killed (SIGKILL). File descriptors of the test process other than 0-2 are
// not inherited. Thread-safe (no shared state); blocks the calling thread.
#ifndef PARTFS_TESTS_SUPPORT_RUN_COMMAND_H_
#define PARTFS_TESTS_SUPPORT_RUN_COMMAND_H_

#include <chrono>
#include <string>

namespace partfs::testing {

struct CommandResult {
  int exit_code = -1;      // exit status; 128+N when killed by signal N; -1 if not run
  bool timed_out = false;  // killed because the time limit passed
  std::string output;      // stdout and stderr, interleaved
};

CommandResult RunCommand(const std::string& command, std::chrono::milliseconds timeout);

// Quotes `arg` for /bin/sh (single quotes).
std::string ShellQuote(const std::string& arg);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_RUN_COMMAND_H_
