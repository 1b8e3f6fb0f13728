// The partfs subcommands. main() only dispatches on argv[1]; each command parses
// its own arguments, prints its own messages and returns the process exit code
// (0 success, 1 failure, 2 misuse). Not thread-safe: call from main only.
#ifndef PARTFS_FS_CLI_COMMANDS_H_
#define PARTFS_FS_CLI_COMMANDS_H_

#include <cstdint>

namespace partfs {

// `partfs BUCKET[:/prefix] MOUNTPOINT [-f] [-d] [-o ...]` (fs/mount_command.cc).
// argv[0] is the program name.
int RunMountCommand(int argc, char** argv);
// `partfs gc ...` (fs/gc_command.cc). argv[0] is "gc". `min_age_seconds` is the
// floor of --older-than: kMinGcAgeSeconds, lower only for tests (main reads
// PARTFS_TEST_GC_MIN_AGE_SECONDS).
int RunGcCommand(int argc, char** argv, int64_t min_age_seconds);
// `partfs status ...` (fs/status_command.cc). argv[0] is "status".
int RunStatusCommand(int argc, char** argv);
// `partfs check ...` (fs/check_command.cc). argv[0] is "check".
int RunCheckCommand(int argc, char** argv);

}  // namespace partfs

#endif  // PARTFS_FS_CLI_COMMANDS_H_
